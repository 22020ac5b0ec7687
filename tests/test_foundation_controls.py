"""Foundation controls by layer, data sources, and the three foundation-ready criteria."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.foundation import criteria as foundation_criteria
from governance.foundation import services as foundation
from governance.models import AuditEvent, Control, InitiativeControl
from initiatives.models import Role
from tests.lifecycle import give_role, pass_charter_signoff, request

pytestmark = pytest.mark.django_db

EVERY_LAYER = ["governance", "data", "architecture", "workflow", "adoption"]


def _set(initiative, user, key, status="in-place", **fields):
    if status == "in-place":
        fields.setdefault("evidence", f"https://wiki.example.com/{key}")
    return foundation.set_control(initiative.pk, acting_user=user, control_key=key, status=status, **fields)


def _complete_source(initiative, user, owner):
    return foundation.save_data_source(
        initiative.pk,
        acting_user=user,
        name="Ticket history",
        system="Zendesk",
        classification="internal",
        freshness_sla_hours=24,
        owner=owner,
    )


def _make_foundation_ready(initiative, user, owner):
    for control in Control.objects.filter(is_active=True):
        _set(initiative, user, control.key)
    _complete_source(initiative, user, owner)


def test_every_control_is_missing_by_default(initiative):
    rows = foundation.control_rows(initiative)

    assert list(rows) == EVERY_LAYER
    assert all(rows[layer] for layer in EVERY_LAYER)
    assert {r.status for layer in rows.values() for r in layer} == {"missing"}
    assert sum(len(layer) for layer in rows.values()) == Control.objects.filter(is_active=True).count()


def test_in_place_needs_evidence(lee, initiative):
    with pytest.raises(ValidationError) as caught:
        _set(initiative, lee, "access-policy", evidence="  ")

    assert "evidence" in caught.value.message_dict
    assert not InitiativeControl.objects.exists()


def test_in_place_is_recorded_and_audited(lee, initiative):
    record = _set(initiative, lee, "access-policy", evidence="Access policy v3 on the wiki")

    assert (record.status, record.evidence, record.updated_by) == ("in-place", "Access policy v3 on the wiki", lee)
    event = AuditEvent.objects.filter(action="control.updated").last()
    assert (event.actor_username, event.initiative_id) == ("lee", initiative.pk)
    assert event.before["status"] == "missing" and event.after["status"] == "in-place"


def test_waived_needs_a_reason(lee, initiative):
    with pytest.raises(ValidationError) as caught:
        _set(initiative, lee, "training", status="waived")

    assert "waiver_reason" in caught.value.message_dict


def test_a_waiver_records_its_reason_and_who_waived_it(alice, rita, initiative):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

    record = _set(initiative, rita, "training", status="waived", waiver_reason="Agents already use the tool daily")

    record.refresh_from_db()
    assert (record.status, record.waiver_reason, record.updated_by) == (
        "waived",
        "Agents already use the tool daily",
        rita,
    )
    row = next(r for r in foundation.control_rows(initiative)["adoption"] if r.control.key == "training")
    assert (row.status, row.updated_by) == ("waived", rita)


def test_the_control_owner_role_may_set_its_own_controls_only(alice, charlie, initiative):
    give_role(initiative, Role.PRODUCT_OPS, charlie, by=alice)

    _set(initiative, charlie, "human-review")
    with pytest.raises(PermissionDenied):
        _set(initiative, charlie, "access-policy")


@pytest.mark.parametrize("role", [Role.SECURITY_RISK, Role.DATA_PLATFORM, Role.LEGAL_COMPLIANCE])
def test_risk_owners_may_set_any_control(alice, dana, initiative, role):
    give_role(initiative, role, dana, by=alice)

    assert _set(initiative, dana, "rollback-plan").status == "in-place"


def test_product_managers_and_outsiders_may_not_set_controls(alice, charlie, initiative):
    for user in (alice, charlie):
        with pytest.raises(PermissionDenied):
            _set(initiative, user, "human-review")
    assert not InitiativeControl.objects.exists()


def test_an_unknown_control_is_refused(lee, initiative):
    with pytest.raises(ValidationError) as caught:
        _set(initiative, lee, "no-such-control")

    assert "control" in caught.value.message_dict


def test_foundation_controls_fails_with_the_missing_controls_by_layer(lee, initiative):
    passed, reason = foundation_criteria.foundation_controls(initiative)
    assert not passed
    assert "Governance: Access policy" in reason and "Adoption:" in reason

    for control in Control.objects.filter(is_active=True).exclude(key="training"):
        _set(initiative, lee, control.key)
    passed, reason = foundation_criteria.foundation_controls(initiative)
    assert (passed, reason) == (False, "Missing controls. Adoption: Training")

    _set(initiative, lee, "training", status="waived", waiver_reason="Already trained")
    assert foundation_criteria.foundation_controls(initiative)[0] is True


def test_data_sources_classified_needs_an_owner_and_an_sla(alice, dana, initiative):
    passed, reason = foundation_criteria.data_sources_classified(initiative)
    assert not passed and "No data source recorded" in reason

    source = foundation.save_data_source(
        initiative.pk, acting_user=alice, name="Ticket history", system="Zendesk", classification="internal"
    )
    passed, reason = foundation_criteria.data_sources_classified(initiative)
    assert (passed, reason) == (False, "Incomplete: Ticket history (no owner, freshness SLA)")

    foundation.save_data_source(initiative.pk, acting_user=alice, source=source, owner=dana, freshness_sla_hours=24)
    assert foundation_criteria.data_sources_classified(initiative)[0] is True


def test_review_escalation_rollback_refuses_a_waiver(lee, initiative):
    for key in foundation.MUST_BE_IN_PLACE:
        _set(initiative, lee, key)
    assert foundation_criteria.review_escalation_rollback(initiative)[0] is True

    _set(initiative, lee, "human-review", status="waived", waiver_reason="Low stakes")

    passed, reason = foundation_criteria.review_escalation_rollback(initiative)
    assert not passed
    assert "Human review" in reason and "a waiver does not do" in reason


def test_the_foundation_ready_review_needs_no_override_once_everything_passes(alice, sam, lee, dana, initiative):
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    assert initiative.stage == "secure-foundation"

    _make_foundation_ready(initiative, lee, dana)
    review = request(initiative, alice, override_reason="")

    assert review.gate == "foundation-ready"
    assert review.override_reason == ""
    assert [(r["key"], r["status"]) for r in review.criteria_results] == [
        ("foundation-controls", "pass"),
        ("data-sources-classified", "pass"),
        ("review-escalation-rollback", "pass"),
    ]
