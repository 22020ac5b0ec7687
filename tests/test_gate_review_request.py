"""Requesting a gate review: criteria, overrides, one open review, who may ask."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from governance import audit, criteria
from governance.errors import TransitionError
from governance.models import AuditEvent, GatePolicy, GateReview
from governance.services import request_review
from governance.snapshots import build_snapshot
from governance.tasks import notify_new_reviews_task
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role, Stage
from tests.lifecycle import OVERRIDE, decide, give_role, request

pytestmark = pytest.mark.django_db


def _publish_charter_policy_without_kpis() -> GatePolicy:
    """A v2 charter sign-off policy whose criteria OpModel can all compute today."""
    return GatePolicy.objects.create(
        gate="charter-signoff",
        risk_tier="medium",
        version=2,
        criteria=["charter-complete", "pilot-theater-answered"],
        approver_slots=[["executive-sponsor", "cto"]],
        published_at=timezone.now(),
    )


def test_it_refuses_unmet_criteria_without_an_override(make_initiative, alice):
    initiative = make_initiative(complete=False)

    with pytest.raises(TransitionError, match="Gate criteria not met"):
        request_review(initiative.pk, acting_user=alice)

    assert not GateReview.objects.filter(initiative=initiative).exists()
    assert not AuditEvent.objects.filter(action="gate.requested").exists()


def test_an_unavailable_criterion_never_passes_silently(initiative, alice, monkeypatch):
    # Whether or not the KPI app registers its check, an unregistered criterion must block.
    monkeypatch.delitem(criteria._CRITERIA, "kpis-leading-lagging", raising=False)
    results = {r.key: r for r in criteria.evaluate(initiative, ["kpis-leading-lagging", "charter-complete"])}
    assert results["charter-complete"].passed
    assert results["kpis-leading-lagging"].status == criteria.UNAVAILABLE
    assert not results["kpis-leading-lagging"].passed

    # A complete charter is not enough: the KPI criterion is not computed.
    with pytest.raises(TransitionError, match="Not yet available"):
        request_review(initiative.pk, acting_user=alice, override_reason="   ")

    assert not GateReview.objects.filter(initiative=initiative).exists()
    review = request_review(initiative.pk, acting_user=alice, override_reason=OVERRIDE)
    assert review.criteria_results[-1]["status"] == "unavailable"


def test_a_complete_charter_without_kpis_still_needs_an_override(initiative, alice):
    with pytest.raises(TransitionError, match="leading and one lagging KPI"):
        request_review(initiative.pk, acting_user=alice)

    assert not GateReview.objects.filter(initiative=initiative).exists()


def test_it_opens_a_review_with_an_override_and_stores_the_criteria(initiative, alice):
    review = request_review(initiative.pk, acting_user=alice, override_reason=f"  {OVERRIDE}  ")

    review.refresh_from_db()
    assert review.status == GateReview.Status.OPEN
    assert (review.gate, review.from_stage, review.to_stage) == (
        "charter-signoff",
        "define-outcome",
        "secure-foundation",
    )
    assert review.override_reason == OVERRIDE
    assert review.policy == GatePolicy.objects.current("charter-signoff", "medium")
    statuses = {r["key"]: r["status"] for r in review.criteria_results}
    assert list(statuses) == ["charter-complete", "pilot-theater-answered", "kpis-leading-lagging"]
    assert statuses["charter-complete"] == statuses["pilot-theater-answered"] == "pass"
    assert statuses["kpis-leading-lagging"] in ("unavailable", "fail")  # no KPI tree yet, never a pass
    assert review.snapshot_hash == build_snapshot(initiative)[1]
    assert review.snapshot["charter"]["outcome_statement"].startswith("Average handling time")
    event = AuditEvent.objects.get(action="gate.requested")
    assert (event.actor_username, event.object_id, event.initiative_id) == ("alice", str(review.pk), initiative.pk)
    assert event.after["criteria_unmet"] == ["kpis-leading-lagging"]
    assert event.after["override_reason"] == OVERRIDE


def test_a_failed_criterion_is_stored_with_its_reason(make_initiative, alice):
    initiative = make_initiative(complete=False, problem_user="Support agents")

    review = request(initiative, alice)

    review.refresh_from_db()
    failed = {r["key"]: r for r in review.criteria_results if r["status"] == "fail"}
    assert set(failed) >= {"charter-complete", "pilot-theater-answered"}
    assert "Outcome statement" in failed["charter-complete"]["reason"]


def test_it_needs_no_override_when_every_criterion_passes(initiative, alice):
    policy = _publish_charter_policy_without_kpis()

    review = request_review(initiative.pk, acting_user=alice, override_reason="not needed")

    review.refresh_from_db()
    assert review.policy == policy and review.policy.version == 2
    assert review.override_reason == ""  # nothing was overridden
    assert all(r["status"] == "pass" for r in review.criteria_results)


def test_dates_and_decimals_in_the_charter_can_be_snapshotted(make_initiative, alice):
    initiative = make_initiative(plan_start_on=timezone.localdate(), cost_per_1000_inferences="1.2500")

    review = request(initiative, alice)

    review.refresh_from_db()
    assert review.snapshot["charter"]["plan_start_on"] == timezone.localdate().isoformat()
    assert review.snapshot["charter"]["cost_per_1000_inferences"] == "1.2500"
    assert review.snapshot_hash == build_snapshot(initiative)[1]


def test_only_one_review_is_open_at_a_time(initiative, alice, sam):
    request(initiative, alice)

    with pytest.raises(TransitionError, match="already open"):
        request(initiative, sam)

    assert GateReview.objects.filter(initiative=initiative).count() == 1
    assert AuditEvent.objects.filter(action="gate.requested").count() == 1


@pytest.mark.parametrize("decision, status", [("kill", "killed"), ("hold", "on-hold")])
def test_a_killed_or_held_initiative_cannot_request(initiative, alice, lee, decision, status):
    decide(request(initiative, alice), lee, decision, comment="Not now.")
    initiative.refresh_from_db()
    assert initiative.status == status

    with pytest.raises(TransitionError, match="cannot request"):
        request(initiative, alice)

    assert not GateReview.objects.filter(initiative=initiative, status="open").exists()


def test_a_scaled_initiative_has_no_further_gate(initiative, alice):
    Initiative.objects.filter(pk=initiative.pk).update(stage=Stage.SCALED)

    with pytest.raises(TransitionError, match="no further gate"):
        request(initiative, alice)


def test_an_outsider_cannot_request(initiative, charlie):
    with pytest.raises(PermissionDenied):
        request(initiative, charlie)

    assert not GateReview.objects.filter(initiative=initiative).exists()


def test_a_risk_owner_who_is_no_editor_cannot_request(initiative, alice, rita):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

    with pytest.raises(PermissionDenied):
        request(initiative, rita)

    assert not GateReview.objects.filter(initiative=initiative).exists()


def test_an_assigned_product_manager_may_request_and_a_cto_may_not(initiative, alice, dana, rita):
    # Dana is the product manager by assignment only: she neither created the initiative nor owns its charter.
    give_role(initiative, Role.PRODUCT_MANAGER, dana, by=alice)
    give_role(initiative, Role.CTO, rita, by=alice)  # the CTO decides gates; the team edits and asks

    with pytest.raises(PermissionDenied):
        request(initiative, rita)

    assert request(initiative, dana).requested_by == dana


def test_the_charter_owner_may_request_without_a_role(initiative, alice, dana):
    initiative_services.update_charter(initiative.pk, acting_user=alice, owner=dana)

    assert request(initiative, dana).requested_by == dana


def test_the_sponsor_and_leaders_may_request(initiative, sam, lee):
    review = request(initiative, sam)
    assert review.requested_by == sam
    decide(review, lee, "request-changes", comment="Tighten the guardrails.")

    assert request(initiative, lee).requested_by == lee


def test_approvers_are_emailed_by_the_scheduled_job_once(initiative, alice, lee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        review = request(initiative, alice)
    # The request itself never waits on the broker: the approvers' email is the scheduled job's, and the only
    # thing queued for after the commit is the webhook kick, which publishes without retrying (outbox.kick).
    assert [callback.__name__ for callback in callbacks] == ["kick"]
    assert notify_new_reviews_task() == 2
    assert notify_new_reviews_task() == 0
    review.refresh_from_db()
    assert review.notified_at is not None
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["lee@example.com", "sam@example.com"]  # never the requester
    assert mail.outbox[0].subject.startswith("Decision needed: Charter sign-off")


def test_a_failure_part_way_leaves_no_review_behind(initiative, alice, monkeypatch):
    def unavailable(*args, **kwargs):
        raise RuntimeError("the audit store is unavailable")

    monkeypatch.setattr(audit, "record", unavailable)

    with pytest.raises(RuntimeError):
        request(initiative, alice)

    assert not GateReview.objects.filter(initiative=initiative).exists()
