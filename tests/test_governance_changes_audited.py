"""Publishing and copying a gate policy, and every change to the control catalogue, write an audit event.

Bea, a staff superuser, works in the admin as an admin would: its actions, add and change forms,
the changelist's editable columns, delete and "delete selected". Each path goes through the service
in governance/policies.py and writes exactly one event with the state before and after; the chain
stays intact, and a published policy still never changes.
"""

import pytest
from django.core.exceptions import ValidationError

from governance import policies
from governance.audit import verify_chain
from governance.models import AuditEvent, ChecklistItem, Control, GatePolicy
from tests.lifecycle import last_event_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1():
    """The medium-risk scale-out policy the migrations put in force (0003's v1, or a later version a data
    migration published to add a criterion): published, and the newest."""
    return GatePolicy.objects.current("scale-out", "medium")


def _events_since(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("id"))


def _action(client, model: str, action: str, *pks, **extra):
    data = {"action": action, "_selected_action": [str(pk) for pk in pks], **extra}
    return client.post(f"/admin/governance/{model}/", data, follow=True)


def _policy_form(policy: GatePolicy, **changes) -> dict:
    data = {
        "gate": policy.gate,
        "risk_tier": policy.risk_tier,
        "version": str(policy.version),
        "criteria": _json(policy.criteria),
        "approver_slots": _json(policy.approver_slots),
        "review_due_days": str(policy.review_due_days),
        "notes": policy.notes,
    }
    return data | changes


def _json(value) -> str:
    import json

    return json.dumps(value)


class TestGatePolicies:
    def test_copying_a_policy_writes_one_event_with_its_source_and_the_draft(self, admin_client, v1, bea):
        since = last_event_id()

        response = _action(admin_client, "gatepolicy", "copy_to_draft", v1.pk)

        draft = GatePolicy.objects.get(gate="scale-out", risk_tier="medium", version=v1.version + 1)
        assert f"draft created from v{v1.version}" in response.content.decode()
        assert (draft.is_published, draft.criteria, draft.approver_slots) == (False, v1.criteria, v1.approver_slots)
        [event] = _events_since(since)
        assert (event.action, event.object_type, event.object_id, event.actor_username) == (
            "gate_policy.copied",
            "governance.gatepolicy",
            str(draft.pk),
            "bea",
        )
        assert (event.before["version"], event.after["version"]) == (v1.version, v1.version + 1)
        assert event.before["published_at"] is not None and event.after["published_at"] is None
        assert verify_chain().ok

    def test_publishing_a_draft_writes_one_event_with_the_version_it_replaces(self, admin_client, v1, bea):
        draft = policies.copy_policy_to_draft(v1.pk, acting_user=bea)
        admin_client.post(
            f"/admin/governance/gatepolicy/{draft.pk}/change/",
            _policy_form(draft, approver_slots='[["cto"], ["executive-sponsor"], ["security-risk"]]'),
        )
        since = last_event_id()

        response = _action(admin_client, "gatepolicy", "publish", draft.pk)

        draft.refresh_from_db()
        assert draft.is_published
        assert "published; new reviews of this gate run under it" in response.content.decode()
        assert GatePolicy.objects.current("scale-out", "medium") == draft
        [event] = _events_since(since)
        assert (event.action, event.object_id, event.actor_username) == ("gate_policy.published", str(draft.pk), "bea")
        assert event.before["version"] == v1.version and event.after["version"] == v1.version + 1
        assert event.before["approver_slots"] == [["cto"], ["executive-sponsor"]]
        assert event.after["approver_slots"] == [["cto"], ["executive-sponsor"], ["security-risk"]]
        assert event.after["published_at"] is not None
        assert verify_chain().ok

    def test_publishing_twice_or_a_published_policy_writes_nothing_more(self, admin_client, v1, bea):
        draft = policies.copy_policy_to_draft(v1.pk, acting_user=bea)
        policies.publish_policy(draft.pk, acting_user=bea)
        since = last_event_id()

        again = policies.publish_policy(draft.pk, acting_user=bea)
        response = _action(admin_client, "gatepolicy", "publish", v1.pk, draft.pk)

        assert again == draft
        assert response.content.decode().count("already published") == 2
        assert _events_since(since) == []

    def test_an_older_draft_is_not_published_over_a_newer_version(self, admin_client, v1, bea):
        older = policies.copy_policy_to_draft(v1.pk, acting_user=bea)  # the next version
        newer = policies.copy_policy_to_draft(v1.pk, acting_user=bea)  # the one after
        policies.publish_policy(newer.pk, acting_user=bea)
        since = last_event_id()

        response = _action(admin_client, "gatepolicy", "publish", older.pk)

        said = f"v{newer.version} is already published and newer than this draft (v{older.version})"
        assert said in response.content.decode()
        older.refresh_from_db()
        assert not older.is_published
        assert _events_since(since) == []

    def test_an_invalid_draft_is_not_published(self, v1, bea):
        draft = policies.copy_policy_to_draft(v1.pk, acting_user=bea)
        GatePolicy.objects.filter(pk=draft.pk).update(criteria=["no-such-criterion"])
        since = last_event_id()

        with pytest.raises(ValidationError, match="Unknown criteria: no-such-criterion"):
            policies.publish_policy(draft.pk, acting_user=bea)

        assert not GatePolicy.objects.get(pk=draft.pk).is_published
        assert _events_since(since) == []

    def test_adding_editing_and_deleting_drafts_in_the_admin_is_audited(self, admin_client, v1, bea):
        since = last_event_id()
        new = _policy_form(v1, version="7", criteria='["observation-window"]', notes="Lighter trial")

        added = admin_client.post("/admin/governance/gatepolicy/add/", new)
        draft = GatePolicy.objects.get(gate="scale-out", risk_tier="medium", version=7)
        changed = admin_client.post(
            f"/admin/governance/gatepolicy/{draft.pk}/change/", _policy_form(draft, review_due_days="9")
        )
        draft.refresh_from_db()
        unchanged = admin_client.post(f"/admin/governance/gatepolicy/{draft.pk}/change/", _policy_form(draft))
        other = policies.copy_policy_to_draft(v1.pk, acting_user=bea)
        copied_at = last_event_id()
        deleted = admin_client.post(f"/admin/governance/gatepolicy/{draft.pk}/delete/", {"post": "yes"})
        selected = _action(admin_client, "gatepolicy", "delete_selected", other.pk, post="yes")

        assert [r.status_code for r in (added, changed, unchanged, deleted, selected)] == [302, 302, 302, 302, 200]
        assert not GatePolicy.objects.filter(pk__in=[draft.pk, other.pk]).exists()
        events = [e for e in _events_since(since) if e.pk != copied_at]
        assert [(e.action, e.object_id) for e in events] == [
            ("gate_policy.draft_saved", str(draft.pk)),
            ("gate_policy.draft_saved", str(draft.pk)),
            ("gate_policy.draft_deleted", str(draft.pk)),
            ("gate_policy.draft_deleted", str(other.pk)),
        ]
        assert events[0].before is None and events[0].after["criteria"] == ["observation-window"]
        assert (events[1].before["review_due_days"], events[1].after["review_due_days"]) == (5, 9)
        assert events[2].before["notes"] == "Lighter trial" and events[2].after is None
        assert all(e.actor_username == "bea" for e in events)
        assert verify_chain().ok

    def test_a_published_policy_still_never_changes(self, admin_client, v1, bea):
        since = last_event_id()
        forged = _policy_form(v1, approver_slots='[["product-manager"]]')

        change = admin_client.post(f"/admin/governance/gatepolicy/{v1.pk}/change/", forged)
        delete = admin_client.post(f"/admin/governance/gatepolicy/{v1.pk}/delete/", {"post": "yes"})
        selected = _action(admin_client, "gatepolicy", "delete_selected", v1.pk, post="yes")
        with pytest.raises(ValidationError, match="never changes"):
            policies.save_policy_draft(v1.pk, acting_user=bea, approver_slots=[["product-manager"]])
        with pytest.raises(ValidationError, match="cannot be deleted"):
            policies.delete_policy_draft(v1.pk, acting_user=bea)
        v1.approver_slots = [["product-manager"]]
        with pytest.raises(ValidationError, match="never changes"):
            v1.save()

        assert (change.status_code, delete.status_code, selected.status_code) == (403, 403, 403)
        assert GatePolicy.objects.get(pk=v1.pk).approver_slots == [["cto"], ["executive-sponsor"]]
        assert _events_since(since) == []


def _control_form(control: Control, **changes) -> dict:
    data = {
        "key": control.key,
        "name": control.name,
        "layer": control.layer,
        "description": control.description,
        "owner_role": control.owner_role,
        "position": str(control.position),
        "is_active": "on" if control.is_active else "",
        "measured_by": control.measured_by,
    }
    return {k: v for k, v in (data | changes).items() if v != ""}


class TestControlCatalogue:
    def test_adding_a_control_in_the_admin_is_audited(self, admin_client):
        since = last_event_id()
        form = {"key": "red-teaming", "name": "Red teaming", "layer": "governance", "owner_role": "security-risk"}

        response = admin_client.post("/admin/governance/control/add/", form | {"position": "3", "is_active": "on"})

        assert response.status_code == 302
        control = Control.objects.get(key="red-teaming")
        [event] = _events_since(since)
        assert (event.action, event.object_type, event.object_id, event.actor_username) == (
            "control_catalogue.added",
            "governance.control",
            str(control.pk),
            "bea",
        )
        assert event.before is None
        assert event.after == {**form, "description": "", "position": 3, "is_active": True, "measured_by": ""}
        assert verify_chain().ok

    def test_changing_a_control_in_its_form_is_audited_with_before_and_after(self, admin_client):
        control = Control.objects.get(key="training")
        since = last_event_id()

        response = admin_client.post(
            f"/admin/governance/control/{control.pk}/change/",
            _control_form(control, name="Training and certification", key="forged-key"),
        )

        assert response.status_code == 302
        control.refresh_from_db()
        assert (control.key, control.name) == ("training", "Training and certification")  # the key is read-only
        [event] = _events_since(since)
        assert event.action == "control_catalogue.changed"
        assert (event.before["name"], event.after["name"]) == ("Training", "Training and certification")
        assert event.before["key"] == event.after["key"] == "training"

    def test_retiring_a_control_from_the_list_is_audited(self, admin_client):
        controls = list(Control.objects.order_by("position", "key"))
        retired = next(c for c in controls if c.key == "support-channel")
        data = {"form-TOTAL_FORMS": str(len(controls)), "form-INITIAL_FORMS": str(len(controls)), "_save": "Save"}
        for i, control in enumerate(controls):
            data[f"form-{i}-id"] = str(control.pk)
            data[f"form-{i}-position"] = str(control.position)
            if control.is_active and control != retired:
                data[f"form-{i}-is_active"] = "on"
        since = last_event_id()

        response = admin_client.post("/admin/governance/control/", data)

        assert response.status_code == 302
        assert not Control.objects.get(pk=retired.pk).is_active
        [event] = _events_since(since)
        assert (event.action, event.object_id) == ("control_catalogue.changed", str(retired.pk))
        assert (event.before["is_active"], event.after["is_active"]) == (True, False)
        assert verify_chain().ok

    def test_saving_without_a_change_writes_no_event(self, admin_client):
        control = Control.objects.get(key="training")
        since = last_event_id()

        assert (
            admin_client.post(f"/admin/governance/control/{control.pk}/change/", _control_form(control)).status_code
            == 302
        )
        assert _events_since(since) == []

    def test_a_controls_key_never_changes(self, bea):
        control = Control.objects.get(key="human-review")

        with pytest.raises(ValidationError, match="key never changes"):
            policies.save_control(control.pk, acting_user=bea, key="human-check")

        assert Control.objects.filter(key="human-review").exists()

    def test_controls_are_not_deleted_but_retired(self, admin_client):
        control = Control.objects.get(key="training")

        assert admin_client.post(f"/admin/governance/control/{control.pk}/delete/", {"post": "yes"}).status_code == 403
        assert Control.objects.filter(pk=control.pk).exists()


class TestExecutiveChecklists:
    """A checklist question is what an approver must answer before approving: adding or rewording one
    changes what its gate requires, so the admin saves it through an audited service."""

    def _form(self, item, **changes) -> dict:
        fields = ("gate", "audience", "question", "eu_ai_act", "nist_ai_rmf", "iso_42001", "position")
        return {name: str(getattr(item, name)) for name in fields} | changes

    def test_rewording_a_question_in_the_admin_is_audited(self, admin_client):
        item = ChecklistItem.objects.filter(gate="scale-out").first()
        since = last_event_id()

        response = admin_client.post(
            f"/admin/governance/checklistitem/{item.pk}/change/", self._form(item, question="Who signs the cost?")
        )

        assert response.status_code == 302
        [event] = _events_since(since)
        assert (event.action, event.object_type, event.actor_username) == (
            "checklist.changed",
            "governance.checklistitem",
            "bea",
        )
        assert (event.before["question"], event.after["question"]) == (item.question, "Who signs the cost?")
        assert verify_chain().ok

    def test_adding_a_question_is_audited_and_a_question_is_never_deleted(self, admin_client):
        item = ChecklistItem.objects.first()
        since = last_event_id()

        response = admin_client.post(
            "/admin/governance/checklistitem/add/", self._form(item, question="Is there a rollback drill?")
        )

        assert response.status_code == 302
        [event] = _events_since(since)
        assert event.action == "checklist.added" and event.after["question"] == "Is there a rollback drill?"
        assert admin_client.get(f"/admin/governance/checklistitem/{item.pk}/delete/").status_code == 403

    def test_saving_without_a_change_writes_nothing(self, bea):
        item = ChecklistItem.objects.first()
        since = last_event_id()
        policies.save_checklist_item(item.pk, acting_user=bea, question=item.question)
        assert _events_since(since) == []
