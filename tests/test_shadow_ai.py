"""The shadow-AI register's rules, kept once in ShadowAiUse.clean, the services and governance.permissions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.history import describe
from governance.models import AuditEvent, ShadowAiUse
from governance.models.shadow import NO_SANCTIONED_PATH
from governance.permissions import can_manage_shadow_ai
from governance.shadow import services as shadow
from governance.shadow.forms import ShadowAiForm
from governance.shadow.services import UNSEEN_INITIATIVE
from initiatives.models import Role
from tests.lifecycle import give_role

pytestmark = pytest.mark.django_db

CHATGPT = {
    "tool": "ChatGPT (personal accounts)",
    "team": "Customer Support",
    "people": 14,
    "data_touched": "Customer emails pasted in for draft replies",
    "classification": "confidential",
    "found_via": ShadowAiUse.FoundVia.PROXY_LOG,
}


@pytest.fixture
def steward(initiative, alice, rita):
    """Rita holds security/risk on the support triage assistant, so she keeps the register."""
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    return rita


@pytest.fixture
def item(steward):
    return shadow.record_shadow_use(acting_user=steward, **CHATGPT)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_recording_an_item_stores_it_untriaged_and_audits_it(steward):
    item = shadow.record_shadow_use(acting_user=steward, **CHATGPT)
    item.refresh_from_db()
    assert (item.status, item.people, item.recorded_by) == (ShadowAiUse.Status.UNTRIAGED, 14, steward)
    [event] = events("shadow_ai.recorded")
    assert (event.actor_username, event.object_id) == ("rita", str(item.pk))
    assert event.after["tool"] == "ChatGPT (personal accounts)" and event.after["status"] == "untriaged"


def test_a_sanctioned_path_needs_the_initiative_or_asset_that_replaces_the_use(item, steward):
    with pytest.raises(ValidationError) as refused:
        shadow.triage_shadow_use(item.pk, acting_user=steward, status=ShadowAiUse.Status.SANCTIONED)
    assert refused.value.message_dict == {"initiative": [NO_SANCTIONED_PATH]}
    item.refresh_from_db()
    assert item.status == ShadowAiUse.Status.UNTRIAGED
    assert not events("shadow_ai.triaged")


def test_triage_to_a_sanctioned_initiative_is_recorded_with_before_and_after(item, steward, initiative):
    shadow.triage_shadow_use(item.pk, acting_user=steward, status="sanctioned", initiative=initiative)
    item.refresh_from_db()
    assert (item.status, item.initiative) == ("sanctioned", initiative)
    [event] = events("shadow_ai.triaged")
    assert event.initiative_id == initiative.pk
    assert event.before == {"initiative": None, "status": "untriaged"}
    assert event.after == {"initiative": initiative.slug, "status": "sanctioned"}


def test_a_repeated_save_records_nothing(item, steward, initiative):
    shadow.triage_shadow_use(item.pk, acting_user=steward, status="sanctioned", initiative=initiative)
    shadow.triage_shadow_use(item.pk, acting_user=steward, status="sanctioned", initiative=initiative)
    assert len(events("shadow_ai.triaged")) == 1


def test_a_change_of_details_is_audited_as_an_update(item, steward):
    shadow.update_shadow_use(item.pk, acting_user=steward, people=20)
    [event] = events("shadow_ai.updated")
    assert (event.before, event.after) == ({"people": 14}, {"people": 20})


def test_blocking_needs_no_link(item, steward):
    shadow.triage_shadow_use(item.pk, acting_user=steward, status="blocked")
    item.refresh_from_db()
    assert item.status == "blocked" and not item.is_open


def test_a_link_names_an_initiative_the_steward_can_see(steward, make_initiative, sam):
    hidden = make_initiative("Invoice matching")  # Rita holds no role on it
    with pytest.raises(ValidationError) as refused:
        shadow.record_shadow_use(acting_user=steward, status="sanctioned", initiative=hidden, **CHATGPT)
    assert refused.value.message_dict == {"initiative": [UNSEEN_INITIATIVE]}
    assert not ShadowAiUse.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"people": -1}, "people"),
        ({"tool": "  "}, "tool"),
        ({"classification": "secret"}, "classification"),
        ({"found_via": "rumour"}, "found_via"),
        ({"notes": "x" * 5001}, "notes"),
        ({"data_touched": "x" * 1001}, "data_touched"),
    ],
)
def test_bad_values_are_refused_by_field_and_nothing_is_stored(steward, values, field):
    with pytest.raises(ValidationError) as refused:
        shadow.record_shadow_use(acting_user=steward, **{**CHATGPT, **values})
    assert set(refused.value.message_dict) == {field}
    assert not ShadowAiUse.objects.exists() and not events("shadow_ai.recorded")


def test_who_keeps_the_register(initiative, alice, rita, dana, lee, bea, charlie):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.ENABLEMENT, dana, by=alice)
    assert {u.username for u in (alice, rita, dana, lee, bea, charlie) if can_manage_shadow_ai(u)} == {
        "rita",
        "dana",
        "lee",
        "bea",
    }


@pytest.mark.parametrize("who", ["alice", "charlie"])
def test_others_may_not_record_or_triage(request, item, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        shadow.record_shadow_use(acting_user=user, **CHATGPT)
    with pytest.raises(PermissionDenied):
        shadow.triage_shadow_use(item.pk, acting_user=user, status="blocked")
    item.refresh_from_db()
    assert ShadowAiUse.objects.count() == 1 and item.status == "untriaged"


def test_the_initiative_history_reads_its_triage_in_words(item, steward, initiative):
    shadow.triage_shadow_use(item.pk, acting_user=steward, status="sanctioned", initiative=initiative)
    [event] = describe(AuditEvent.objects.filter(action="shadow_ai.triaged", initiative_id=initiative.pk))
    assert (event.who, event.what) == ("Rita Risk", "Shadow AI use triaged")
    assert {(line["field"], line["before"], line["after"]) for line in event.lines} == {
        ("Initiative", None, "Support triage assistant"),
        ("Triage", "Untriaged", "Sanctioned path exists"),
    }


def test_a_steward_who_cannot_see_the_linked_initiative_may_still_edit_the_item(
    item, steward, initiative, make_initiative, alice, dana
):
    shadow.triage_shadow_use(item.pk, acting_user=steward, status="sanctioned", initiative=initiative)
    give_role(make_initiative("Invoice matching"), Role.ENABLEMENT, dana, by=alice)  # a steward who cannot see it
    updated = shadow.update_shadow_use(
        item.pk, acting_user=dana, people=30, status="sanctioned", initiative=initiative, asset=None
    )
    assert (updated.people, updated.initiative) == (30, initiative)
    form = ShadowAiForm(instance=updated, user=dana)
    assert set(form.fields["initiative"].queryset.values_list("title", flat=True)) == {
        "Invoice matching",
        "Support triage assistant",
    }
