"""The risk tier: computed from the charter and data sources, never below a risk owner's floor."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.foundation.services import computed_risk, link_data_source, raise_risk_tier, save_data_source
from governance.models import AuditEvent, GateReview
from initiatives import services as initiative_services
from initiatives.models import Role
from tests.lifecycle import actions, decide, give_role, last_event_id, pass_charter_signoff, request

pytestmark = pytest.mark.django_db


def _source(initiative, user, name="Ticket history", **fields):
    fields = {"system": "Zendesk", **fields}
    return save_data_source(initiative.pk, acting_user=user, name=name, **fields)


@pytest.mark.parametrize(
    ("charter", "source", "tier", "reason"),
    [
        ({}, None, "low", "internal use, no personal, confidential or restricted data"),
        ({}, {"classification": "restricted"}, "high", "restricted data (Ticket history)"),
        ({"automated_decisions": True}, None, "high", "decisions take effect without human review"),
        ({"customer_facing": True}, {"personal_data": True}, "high", "customer-facing with personal data"),
        ({}, {"personal_data": True}, "medium", "personal data (Ticket history)"),
        ({"customer_facing": True}, None, "medium", "customer-facing"),
        ({}, {"classification": "confidential"}, "medium", "confidential data (Ticket history)"),
        ({}, {"classification": "internal"}, "low", "internal use"),
    ],
)
def test_the_tier_follows_the_charter_and_the_data(alice, make_initiative, charter, source, tier, reason):
    initiative = make_initiative(risk_tier="low", **charter)
    if source:
        _source(initiative, alice, **source)
    initiative.refresh_from_db()

    computed, reasons = computed_risk(initiative)
    assert computed == tier
    assert any(reason in r for r in reasons), reasons
    assert initiative.risk_tier == tier
    if charter or source:  # the stored reason is re-derived when either changes
        assert reason in initiative.risk_reason


def test_the_declared_tier_is_a_floor(alice, make_initiative):
    initiative = make_initiative(risk_tier="high")
    _source(initiative, alice, personal_data=True)
    initiative.refresh_from_db()

    assert computed_risk(initiative)[0] == "medium"
    assert (initiative.risk_tier, initiative.risk_floor) == ("high", "high")
    assert initiative.risk_reason == "set by a risk owner: declared when the initiative was created"


def test_raising_needs_a_reason(lee, initiative):
    with pytest.raises(ValidationError) as caught:
        raise_risk_tier(initiative.pk, acting_user=lee, tier="high", reason="  ")

    assert "reason" in caught.value.message_dict
    initiative.refresh_from_db()
    assert initiative.risk_tier == "medium"


def test_a_product_manager_cannot_raise_the_tier(alice, initiative):
    with pytest.raises(PermissionDenied):
        raise_risk_tier(initiative.pk, acting_user=alice, tier="high", reason="Feels risky")

    initiative.refresh_from_db()
    assert initiative.risk_tier == "medium"


@pytest.mark.parametrize("who", ["lee", "rita"])
def test_a_leader_or_a_security_risk_holder_raises_the_tier(request, alice, initiative, who):
    user = request.getfixturevalue(who)
    if who == "rita":
        give_role(initiative, Role.SECURITY_RISK, user, by=alice)
    since = last_event_id()

    raise_risk_tier(initiative.pk, acting_user=user, tier="high", reason="Regulator asked for it")

    initiative.refresh_from_db()
    assert (initiative.risk_tier, initiative.risk_floor) == ("high", "high")
    assert initiative.risk_reason == "set by a risk owner: Regulator asked for it"
    event = AuditEvent.objects.get(action="initiative.risk_tier_changed", pk__gt=since)
    assert (event.actor_username, event.before["risk_tier"], event.after["risk_tier"]) == (who, "medium", "high")


def test_raising_to_the_same_tier_is_refused(lee, initiative):
    with pytest.raises(ValidationError) as caught:
        raise_risk_tier(initiative.pk, acting_user=lee, tier="medium", reason="Again")

    assert "risk_tier" in caught.value.message_dict


def test_the_tier_cannot_be_set_below_what_the_data_calls_for(alice, rita, initiative):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    _source(initiative, alice, classification="restricted")

    with pytest.raises(ValidationError) as caught:
        initiative_services.update_initiative(initiative.pk, acting_user=rita, risk_tier="low")

    message = caught.value.message_dict["risk_tier"][0]
    assert "high" in message and "restricted data (Ticket history)" in message
    initiative.refresh_from_db()
    assert initiative.risk_tier == "high"


def test_reclassifying_a_shared_source_raises_every_initiative_using_it(alice, make_initiative):
    first, second = make_initiative("Triage"), make_initiative("Refunds")
    source = _source(first, alice)
    link_data_source(second.pk, acting_user=alice, source=source)
    since = last_event_id()

    save_data_source(first.pk, acting_user=alice, source=source, classification="restricted")

    for initiative in (first, second):
        initiative.refresh_from_db()
        assert initiative.risk_tier == "high"
        assert "restricted data (Ticket history)" in initiative.risk_reason
        assert "initiative.risk_tier_changed" in actions(initiative, since)
    event = AuditEvent.objects.filter(action="initiative.risk_tier_changed", initiative_id=second.pk).last()
    assert event.after["because"] == "data source “Ticket history” changed"


def test_the_tier_never_falls_on_its_own(alice, make_initiative):
    initiative = make_initiative(customer_facing=True)
    source = _source(initiative, alice, personal_data=True)
    initiative.refresh_from_db()
    assert initiative.risk_tier == "high"
    events = AuditEvent.objects.filter(action="initiative.risk_tier_changed").count()

    save_data_source(initiative.pk, acting_user=alice, source=source, personal_data=False)

    initiative.refresh_from_db()
    assert initiative.risk_tier == "high"  # the data calls for medium now; lowering is a risk owner's decision
    assert AuditEvent.objects.filter(action="initiative.risk_tier_changed").count() == events


def test_lowering_below_the_floor_takes_an_explicit_set_with_a_reason(alice, rita, initiative):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    source = _source(initiative, alice, personal_data=True)
    link_data_source(initiative.pk, acting_user=alice, source=source, linked=False)
    initiative.refresh_from_db()
    assert initiative.risk_tier == "medium"  # the data no longer calls for it, the declared floor does

    since = last_event_id()
    initiative_services.update_initiative(initiative.pk, acting_user=rita, risk_tier="low")

    initiative.refresh_from_db()
    assert (initiative.risk_tier, initiative.risk_floor) == ("low", "low")
    assert "set to low by Rita Risk" in initiative.risk_floor_reason
    event = AuditEvent.objects.get(action="initiative.risk_tier_changed", pk__gt=since)
    assert (event.actor_username, event.before["risk_tier"], event.after["risk_tier"]) == ("rita", "medium", "low")


def test_a_product_manager_cannot_lower_the_tier(alice, initiative):
    with pytest.raises(PermissionDenied):
        initiative_services.update_initiative(initiative.pk, acting_user=alice, risk_tier="low")


def test_an_open_foundation_review_is_rebound_to_the_heavier_policy(alice, sam, rita, dana, initiative):
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    review = request(initiative, alice)
    approval = decide(review, rita)
    assert review.policy.risk_tier == "medium"
    since = last_event_id()

    _source(initiative, alice, classification="restricted")

    review = GateReview.objects.get(pk=review.pk)
    assert (review.status, review.policy.risk_tier) == ("open", "high")
    assert ["legal-compliance"] in review.policy.approver_slots
    assert "gate.policy_rebound" in actions(initiative, since)
    approval.refresh_from_db()
    assert (approval.slot, approval.is_stale) == (0, False)
    decide(review, dana)
    review.refresh_from_db()
    assert review.status == "open"  # the legal/compliance slot is still to fill
