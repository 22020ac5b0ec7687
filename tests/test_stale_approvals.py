"""A decision binds to what it approved: a material edit afterwards makes the approval stale."""

import pytest

from governance.models import AuditEvent, GateDecision, GateReview
from governance.snapshots import build_snapshot
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role, Stage
from tests.lifecycle import decide, give_role, pass_charter_signoff, request

pytestmark = pytest.mark.django_db


def _edit_charter(initiative, user, **changes):
    return initiative_services.update_charter(initiative.pk, acting_user=user, **changes)


def test_a_material_edit_after_approval_marks_it_stale(initiative, alice, sam):
    review = pass_charter_signoff(initiative, requester=alice, approver=sam)
    approved_hash = review.snapshot_hash
    approval = review.decisions.get()

    _edit_charter(initiative, alice, guardrails="CSAT may drop to 3.5")

    approval.refresh_from_db()
    review.refresh_from_db()
    assert approval.is_stale
    assert review.status == GateReview.Status.APPROVED
    assert review.snapshot_hash == approved_hash  # the closed review keeps what was approved
    assert review.snapshot["charter"]["guardrails"].startswith("CSAT stays at or above 4.2")
    event = AuditEvent.objects.get(action="gate.approval_stale")
    assert (event.object_id, event.actor_username) == (str(approval.pk), "alice")
    assert event.before == {"snapshot_hash": approved_hash}
    assert event.after == {"snapshot_hash": build_snapshot(initiative)[1]}


def test_a_whitespace_only_edit_is_not_material(initiative, alice, sam):
    review = pass_charter_signoff(initiative, requester=alice, approver=sam)
    guardrails = initiative.charter.guardrails

    _edit_charter(initiative, alice, guardrails=f"  {guardrails.replace(' ', '   ')}\n")

    assert AuditEvent.objects.filter(action="charter.updated").count() == 2  # the fixture's edit and this one
    assert not review.decisions.get().is_stale
    assert not AuditEvent.objects.filter(action="gate.approval_stale").exists()


def test_an_edit_that_changes_nothing_writes_nothing(initiative, alice, sam):
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    before = AuditEvent.objects.count()

    _edit_charter(initiative, alice, guardrails=initiative.charter.guardrails)

    assert AuditEvent.objects.count() == before


def test_an_open_review_drops_the_stale_approval_and_re_snapshots(initiative, alice, sam, rita, dana):
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    review = request(initiative, alice)
    first = decide(review, rita)
    old_hash = review.snapshot_hash

    _edit_charter(initiative, alice, data_dependencies="Ticket history, the knowledge base and call recordings")

    first.refresh_from_db()
    review.refresh_from_db()
    assert first.is_stale
    assert review.is_open
    assert review.snapshot_hash == build_snapshot(initiative)[1] != old_hash
    assert "call recordings" in review.snapshot["charter"]["data_dependencies"]
    # Dana's approval alone no longer completes the gate: Rita's counted for the old content.
    second = decide(review, dana)
    initiative.refresh_from_db()
    assert initiative.stage == Stage.SECURE_FOUNDATION
    assert second.snapshot_hash == review.snapshot_hash
    # Rita approves again, this time the content as it is now, and the gate passes.
    decide(review, rita)
    initiative.refresh_from_db()
    review.refresh_from_db()
    assert initiative.stage == Stage.MEASURE_IMPACT
    assert review.status == GateReview.Status.APPROVED
    live = review.decisions.filter(decision="approve", is_stale=False)
    assert sorted(live.values_list("decided_by__username", flat=True)) == ["dana", "rita"]
    assert review.decisions.filter(is_stale=True).count() == 1


def test_a_changed_charter_owner_is_material(initiative, alice, sam):
    review = pass_charter_signoff(initiative, requester=alice, approver=sam)

    _edit_charter(initiative, alice, owner=sam)

    assert review.decisions.get().is_stale


def test_only_approvals_go_stale(initiative, alice, sam):
    decide(request(initiative, alice), sam, "request-changes", comment="Guardrails need a bound.")

    _edit_charter(initiative, alice, guardrails="CSAT stays at or above 4.3")

    assert not GateDecision.objects.filter(is_stale=True).exists()
    assert Initiative.objects.get(pk=initiative.pk).stage == Stage.DEFINE_OUTCOME
