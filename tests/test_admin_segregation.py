"""The admin offers no way around segregation of duties, the audit trail or the approvals' binding.

Bea is a staff superuser (so a portfolio leader too) who requested a gate review herself. Through
the admin's add, change and delete forms and its actions she tries to approve her own review, forge
or edit a decision, reopen an approved review, give herself a role, edit the approved charter or
outcome tree, delete measurements and rewrite audit events. Each is refused with a message saying where it is done
instead, and nothing is written. The admin's approve actions do work through the same service as
the browser and the API, for someone else's review (the positive control).
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.utils import timezone

from governance.audit import verify_chain
from governance.library import services as library
from governance.models import AuditEvent, GateDecision, GateReview, LabelMoveRequest
from governance.tokens import issue_token
from initiatives.models import LEADERSHIP_GROUP, Role, RoleAssignment, Stage
from kpis.ingest import record_measurements
from kpis.models import Kpi, Measurement, Objective
from tests.lifecycle import answer_checklist, decide, give_role, request, support_tree

pytestmark = pytest.mark.django_db

OWN_APPS = ("initiatives", "governance", "kpis")
SECURITY = "# Customer data\n\nNo ticket text leaves the EU region.\n"


def _fingerprint() -> dict:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in OWN_APPS
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def own_review(initiative, bea):
    """A charter sign-off that Bea requested: as a leader she may request it, never decide it."""
    return request(initiative, bea)


@pytest.fixture
def approved_review(initiative, alice, sam):
    """Alice's charter sign-off, approved by Sam: the initiative moved to secure-foundation."""
    review = request(initiative, alice)
    decide(review, sam, comment="Clear outcome.")
    review.refresh_from_db()
    return review


def _action(client, model: str, action: str, *pks):
    return client.post(f"/admin/{model}/", {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True)


def _text(response) -> str:
    return response.content.decode()


def _refused(response, message: str):
    assert response.status_code == 403, response.status_code
    assert message in _text(response), _text(response)[:2000]


class TestGateReviews:
    def test_the_requester_cannot_approve_her_own_review_with_the_admin_action(self, admin_client, own_review):
        before = _fingerprint()

        response = _action(admin_client, "governance/gatereview", "approve_selected", own_review.pk)

        assert response.status_code == 200
        assert "You requested this review, so you cannot decide it (segregation of duties)." in _text(response)
        assert "approval recorded" not in _text(response)
        assert _fingerprint() == before

    def test_the_admin_action_approves_someone_elses_review_through_the_service(
        self, admin_client, initiative, alice, bea
    ):
        review = request(initiative, alice)
        before = _fingerprint()

        refused = _action(admin_client, "governance/gatereview", "approve_selected", review.pk)

        # The checklist counts here too: the same service refuses, naming every unanswered question.
        assert "approval recorded" not in _text(refused)
        assert "Answer the executive checklist before approving" in _text(refused)
        assert "Which KPI proves the change matters?" in _text(refused)
        assert _fingerprint() == before
        answer_checklist(review, bea)

        response = _action(admin_client, "governance/gatereview", "approve_selected", review.pk)

        assert "approval recorded" in _text(response)
        decision = GateDecision.objects.get(review=review)
        assert (decision.decided_by, decision.decision, decision.role) == (bea, "approve", Role.EXECUTIVE_SPONSOR)
        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION
        assert AuditEvent.objects.filter(action="gate.decided", actor_username="bea").exists()

    def test_there_is_no_form_to_add_a_decision(self, admin_client, own_review, bea):
        before = _fingerprint()

        assert admin_client.get("/admin/governance/gatedecision/add/").status_code == 404
        assert admin_client.get("/admin/governance/gatedecision/").status_code == 404
        page = admin_client.get(f"/admin/governance/gatereview/{own_review.pk}/change/")
        assert page.status_code == 200
        assert 'name="_save"' not in _text(page) and 'name="decisions-0-decision"' not in _text(page)
        inline_approval = {
            "decisions-TOTAL_FORMS": "1",
            "decisions-INITIAL_FORMS": "0",
            "decisions-0-review": str(own_review.pk),
            "decisions-0-decision": "approve",
            "decisions-0-decided_by": str(bea.pk),
            "decisions-0-role": Role.EXECUTIVE_SPONSOR,
            "decisions-0-slot": "0",
            "decisions-0-snapshot_hash": own_review.snapshot_hash,
        }
        response = admin_client.post(f"/admin/governance/gatereview/{own_review.pk}/change/", inline_approval)

        _refused(response, "segregation of duties")
        assert _fingerprint() == before

    def test_a_decision_and_an_approved_reviews_status_cannot_be_edited(self, admin_client, approved_review):
        decision = approved_review.decisions.get()
        before = _fingerprint()
        forged = {
            "status": GateReview.Status.OPEN,
            "requested_by": "1",
            "decisions-TOTAL_FORMS": "1",
            "decisions-INITIAL_FORMS": "1",
            "decisions-0-id": str(decision.pk),
            "decisions-0-review": str(approved_review.pk),
            "decisions-0-decision": "reject",
            "decisions-0-comment": "Forged.",
        }

        response = admin_client.post(f"/admin/governance/gatereview/{approved_review.pk}/change/", forged)

        _refused(response, "segregation of duties")
        assert _fingerprint() == before
        approved_review.refresh_from_db()
        decision.refresh_from_db()
        assert (approved_review.status, decision.decision) == (GateReview.Status.APPROVED, "approve")

    def test_reviews_and_decisions_cannot_be_deleted(self, admin_client, approved_review):
        before = _fingerprint()

        _refused(
            admin_client.post(f"/admin/governance/gatereview/{approved_review.pk}/delete/", {"post": "yes"}),
            "segregation of duties",
        )
        response = _action(admin_client, "governance/gatereview", "delete_selected", approved_review.pk)
        assert "No action selected" in _text(response) or response.status_code == 403
        # Deleting the initiative would take its reviews and decisions with it.
        _refused(
            admin_client.post(
                f"/admin/initiatives/initiative/{approved_review.initiative_id}/delete/", {"post": "yes"}
            ),
            "only gate decisions",
        )
        assert _fingerprint() == before

    def test_the_policy_a_review_runs_under_cannot_be_changed(self, admin_client, own_review):
        policy = own_review.policy
        before = _fingerprint()

        forged = {"gate": policy.gate, "risk_tier": policy.risk_tier, "version": policy.version}
        forged |= {"criteria": "[]", "approver_slots": '[["product-manager"]]', "review_due_days": "5"}
        _refused(admin_client.post(f"/admin/governance/gatepolicy/{policy.pk}/change/", forged), "never changes")
        _refused(
            admin_client.post(f"/admin/governance/gatepolicy/{policy.pk}/delete/", {"post": "yes"}), "never changes"
        )

        assert _fingerprint() == before


class TestRoles:
    def test_the_requester_cannot_give_herself_a_role(self, admin_client, own_review, bea, alice):
        initiative = own_review.initiative
        before = _fingerprint()

        add = admin_client.post(
            "/admin/initiatives/roleassignment/add/",
            {"initiative": initiative.pk, "role": Role.EXECUTIVE_SPONSOR, "user": bea.pk, "assigned_by": bea.pk},
        )
        _refused(add, "initiative page")
        assignments = list(initiative.role_assignments.order_by("pk"))
        inline = {
            "role_assignments-TOTAL_FORMS": str(len(assignments) + 1),
            "role_assignments-INITIAL_FORMS": str(len(assignments)),
            f"role_assignments-{len(assignments)}-role": Role.CTO,
            f"role_assignments-{len(assignments)}-user": str(bea.pk),
        }
        for index, assignment in enumerate(assignments):
            inline |= {
                f"role_assignments-{index}-id": str(assignment.pk),
                f"role_assignments-{index}-initiative": str(initiative.pk),
                f"role_assignments-{index}-role": assignment.role,
                f"role_assignments-{index}-user": str(bea.pk),  # and take over every existing role
            }
        change = admin_client.post(f"/admin/initiatives/initiative/{initiative.pk}/change/", inline)
        _refused(change, "initiative page")
        sponsor = initiative.role_assignments.get(role=Role.EXECUTIVE_SPONSOR)
        _refused(
            admin_client.post(f"/admin/initiatives/roleassignment/{sponsor.pk}/change/", {"user": bea.pk}),
            "initiative page",
        )
        _refused(
            admin_client.post(f"/admin/initiatives/roleassignment/{sponsor.pk}/delete/", {"post": "yes"}),
            "initiative page",
        )

        assert _fingerprint() == before
        assert not RoleAssignment.objects.filter(user=bea).exists()


class TestApprovedContent:
    """What a decision approved (charter, outcome tree) changes only where approvals go stale."""

    def test_the_charter_cannot_be_edited_in_the_admin(self, admin_client, approved_review):
        initiative = approved_review.initiative
        before = _fingerprint()

        response = admin_client.post(
            f"/admin/initiatives/initiative/{initiative.pk}/change/",
            {
                "charter-TOTAL_FORMS": "1",
                "charter-INITIAL_FORMS": "1",
                "charter-0-id": str(initiative.charter.pk),
                "charter-0-initiative": str(initiative.pk),
                "charter-0-outcome_statement": "Rewritten after approval",
            },
        )

        _refused(response, "charter")
        assert _fingerprint() == before

    def test_the_outcome_tree_cannot_be_edited_in_the_admin(self, admin_client, approved_review, alice):
        initiative = approved_review.initiative
        support_tree(initiative, alice, prefix="support-triage")
        objective = Objective.objects.get(initiative=initiative)
        kpi = Kpi.objects.filter(initiative=initiative).first()
        driver = objective.drivers.get()
        before = _fingerprint()

        change = admin_client.post(
            f"/admin/kpis/objective/{objective.pk}/change/",
            {
                "statement": "Rewritten after approval",
                "initiative": str(initiative.pk),
                "drivers-TOTAL_FORMS": "1",
                "drivers-INITIAL_FORMS": "1",
                "drivers-0-id": str(driver.pk),
                "drivers-0-objective": str(objective.pk),
                "drivers-0-name": "Renamed",
                "drivers-0-position": "1",
            },
        )
        _refused(change, "outcome tree")
        _refused(admin_client.post("/admin/kpis/objective/add/", {"statement": "x"}), "outcome tree")
        _refused(admin_client.post(f"/admin/kpis/objective/{objective.pk}/delete/", {"post": "yes"}), "outcome tree")
        _refused(admin_client.post(f"/admin/kpis/kpi/{kpi.pk}/delete/", {"post": "yes"}), "outcome tree")
        assert _fingerprint() == before

    def test_measurements_and_ingest_batches_are_never_deleted_in_the_admin(self, admin_client, kpi, alice):
        result = record_measurements(
            [{"kpi": kpi.key, "timestamp": timezone.now().isoformat(), "value": 11.0}], acting_user=alice
        )
        point = Measurement.objects.get(kpi=kpi)
        before = _fingerprint()

        _refused(admin_client.post(f"/admin/kpis/measurement/{point.pk}/delete/", {"post": "yes"}), "pushing its key")
        _refused(
            admin_client.post(f"/admin/kpis/ingestbatch/{result.batch_id}/delete/", {"post": "yes"}), "pushing its key"
        )
        for changelist in ("/admin/kpis/measurement/", "/admin/kpis/ingestbatch/"):
            page = admin_client.get(changelist)
            assert page.status_code == 200 and "delete_selected" not in _text(page)
        assert _fingerprint() == before


class TestAuditTrail:
    def test_audit_events_are_read_only(self, admin_client, approved_review):
        event = AuditEvent.objects.filter(action="gate.decided").get()
        before = _fingerprint()

        page = admin_client.get(f"/admin/governance/auditevent/{event.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in _text(page)
        _refused(
            admin_client.post(
                f"/admin/governance/auditevent/{event.pk}/change/", {"action": "gate.approved", "actor_username": "x"}
            ),
            "append-only",
        )
        _refused(admin_client.post("/admin/governance/auditevent/add/", {"action": "gate.decided"}), "append-only")
        _refused(admin_client.post(f"/admin/governance/auditevent/{event.pk}/delete/", {"post": "yes"}), "append-only")
        changelist = admin_client.get("/admin/governance/auditevent/")
        assert changelist.status_code == 200 and "delete_selected" not in _text(changelist)

        assert _fingerprint() == before
        assert verify_chain().ok

    def test_tokens_are_revoked_in_the_app_not_deleted_in_the_admin(self, admin_client, alice):
        token, _ = issue_token(acting_user=alice, user=alice, name="pipeline")
        before = _fingerprint()

        _refused(admin_client.post(f"/admin/governance/apitoken/{token.pk}/delete/", {"post": "yes"}), "revoke")
        _refused(admin_client.post(f"/admin/governance/apitoken/{token.pk}/change/", {"name": "renamed"}), "revoke")

        assert _fingerprint() == before


class TestLabelMoves:
    def test_the_requester_cannot_approve_her_own_label_move(self, admin_client, initiative, alice, bea):
        give_role(initiative, Role.SECURITY_RISK, bea, by=alice)  # she may approve others' label moves
        asset = library.create_asset(
            acting_user=bea, name="EU residency", type="security-requirement", content=SECURITY
        )
        pending = library.move_label(asset.pk, acting_user=bea, name="recommended", version_number=1)
        before = _fingerprint()

        response = _action(admin_client, "governance/labelmoverequest", "approve_selected", pending.pk)

        assert "You asked for this label move, so someone else must approve it." in _text(response)
        forged = {"status": LabelMoveRequest.Status.APPROVED, "decided_by": str(bea.pk)}
        _refused(
            admin_client.post(f"/admin/governance/labelmoverequest/{pending.pk}/change/", forged),
            "someone other than",
        )
        assert _fingerprint() == before


def test_every_admin_page_still_shows_its_rows(admin_client, approved_review, alice):
    """Read-only is not hidden: each registered model's list and a row's page render for the admin."""
    from django.contrib.admin.sites import site

    support_tree(approved_review.initiative, alice, prefix="support-triage")
    for model in site._registry:
        opts = model._meta
        changelist = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        assert changelist.status_code == 200, opts.label
        row = model.objects.order_by("pk").first()
        if row is not None:
            page = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{row.pk}/change/")
            assert page.status_code == 200, opts.label


def _user_form(user, **changes) -> dict:
    """The admin's user change form as a browser posts it back, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


class TestLeadership:
    """Leaders see every initiative and approve as sponsor or CTO: making or unmaking one is audited."""

    def test_granting_and_revoking_leadership_is_audited(self, admin_client, bea, charlie):
        leaders = Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0]
        url = f"/admin/auth/user/{charlie.pk}/change/"

        granted = admin_client.post(url, _user_form(charlie, groups=[str(leaders.pk)]))
        renamed = admin_client.post(url, _user_form(charlie, first_name="Charles"))
        revoked = admin_client.post(url, _user_form(User.objects.get(pk=charlie.pk), groups=[]))

        assert [r.status_code for r in (granted, renamed, revoked)] == [302, 302, 302]
        events = list(AuditEvent.objects.filter(object_id=str(charlie.pk), object_type="auth.user").order_by("id"))
        assert [(e.action, e.actor_username) for e in events] == [
            ("leadership.granted", "bea"),
            ("leadership.revoked", "bea"),
        ]
        assert events[0].after["groups"] == [LEADERSHIP_GROUP]
        assert User.objects.get(pk=charlie.pk).first_name == "Charles"
        assert verify_chain().ok

    def test_a_new_superuser_is_a_granted_leadership(self, admin_client, charlie):
        admin_client.post(f"/admin/auth/user/{charlie.pk}/change/", _user_form(charlie, is_superuser="on"))

        assert AuditEvent.objects.filter(action="leadership.granted", object_id=str(charlie.pk)).count() == 1

    def test_the_leadership_group_is_neither_renamed_nor_deleted(self, admin_client):
        leaders = Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0]
        other = Group.objects.create(name="reviewers")
        before = _fingerprint()

        _refused(admin_client.post(f"/admin/auth/group/{leaders.pk}/change/", {"name": "renamed"}), "neither renamed")
        _refused(admin_client.post(f"/admin/auth/group/{leaders.pk}/delete/", {"post": "yes"}), "neither renamed")

        assert Group.objects.filter(name=LEADERSHIP_GROUP).exists()
        assert _fingerprint() == before
        assert admin_client.post(f"/admin/auth/group/{other.pk}/change/", {"name": "approvers"}).status_code == 302

    def test_deleting_a_leader_is_audited(self, admin_client, lee, charlie, rita):
        rita.groups.add(Group.objects.get(name=LEADERSHIP_GROUP))

        deleted = admin_client.post(f"/admin/auth/user/{lee.pk}/delete/", {"post": "yes"})
        selected = admin_client.post(
            "/admin/auth/user/",
            {"action": "delete_selected", "_selected_action": [str(rita.pk), str(charlie.pk)], "post": "yes"},
        )

        assert deleted.status_code == 302 and selected.status_code == 302
        assert not User.objects.filter(pk__in=[lee.pk, rita.pk, charlie.pk]).exists()
        events = AuditEvent.objects.filter(action="leadership.revoked").order_by("id")
        assert [(e.object_id, e.after) for e in events] == [
            (str(lee.pk), {"leader": False, "deleted": True}),
            (str(rita.pk), {"leader": False, "deleted": True}),
        ]
        assert verify_chain().ok
