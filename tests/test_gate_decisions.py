"""Gate decisions: approvals advance the stage; the other decisions close the review."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance import audit
from governance.errors import TransitionError
from governance.models import AuditEvent, GateDecision, GatePolicy, GateReview
from governance.services import resume_initiative
from initiatives.models import Initiative, Role, Stage
from tests.lifecycle import (
    actions,
    answer_checklist,
    decide,
    give_role,
    last_event_id,
    pass_charter_signoff,
    pass_gate,
    request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(initiative, alice):
    return request(initiative, alice)


@pytest.fixture
def in_foundation(initiative, alice, sam):
    """The initiative past charter sign-off, with Rita on security/risk and Dana on the data platform."""
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    return initiative


@pytest.fixture
def foundation_review(in_foundation, alice, rita, dana):
    give_role(in_foundation, Role.SECURITY_RISK, rita, by=alice)
    give_role(in_foundation, Role.DATA_PLATFORM, dana, by=alice)
    return request(in_foundation, alice)


class TestApprove:
    def test_the_sponsor_approves_and_the_stage_advances(self, initiative, review, sam):
        entered_before = initiative.stage_entered_at
        answer_checklist(review, sam)
        since = last_event_id()

        approval = decide(review, sam, comment="Good charter.")

        initiative.refresh_from_db()
        review.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION
        assert initiative.stage_entered_at > entered_before
        assert review.status == GateReview.Status.APPROVED and review.closed_at is not None
        assert (approval.role, approval.slot, approval.snapshot_hash) == ("executive-sponsor", 0, review.snapshot_hash)
        assert actions(initiative, since) == ["gate.decided", "gate.closed", "initiative.stage_changed"]
        moved = AuditEvent.objects.get(action="initiative.stage_changed")
        assert (moved.before, moved.after) == (
            {"stage": "define-outcome"},
            {"stage": "secure-foundation", "review": review.pk},
        )
        assert moved.actor_username == "sam"

    def test_a_leader_approves_in_the_sponsor_or_cto_slot(self, initiative, review, lee):
        approval = decide(review, lee)

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION
        assert approval.role == "executive-sponsor"

    def test_the_requester_can_never_approve(self, initiative, alice, lee):
        review = request(initiative, lee)  # a leader holds the sponsor and CTO roles everywhere

        with pytest.raises(PermissionDenied, match="segregation of duties"):
            decide(review, lee)

        initiative.refresh_from_db()
        assert initiative.stage == Stage.DEFINE_OUTCOME
        assert not review.decisions.exists()

    def test_the_sponsor_who_requested_cannot_approve(self, initiative, sam):
        review = request(initiative, sam)

        with pytest.raises(PermissionDenied):
            decide(review, sam)

        review.refresh_from_db()
        assert review.status == GateReview.Status.OPEN
        assert not review.decisions.exists()
        assert not AuditEvent.objects.filter(action="gate.decided").exists()

    @pytest.mark.parametrize("decision", ["approve", "reject", "kill"])
    def test_someone_without_a_required_role_cannot_decide(self, initiative, review, alice, charlie, rita, decision):
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)  # a role, but not one this gate needs

        for user in (charlie, rita):
            with pytest.raises(PermissionDenied, match="required role"):
                decide(review, user, decision, comment="No.")

        initiative.refresh_from_db()
        assert (initiative.stage, initiative.status) == (Stage.DEFINE_OUTCOME, Initiative.Status.ACTIVE)
        assert not review.decisions.exists()

    def test_a_decision_on_a_closed_review_is_refused(self, initiative, review, sam, lee):
        decide(review, sam)

        for decision in ("approve", "reject"):
            with pytest.raises(TransitionError, match="already closed"):
                decide(review, lee, decision, comment="Too late.")

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION
        assert review.decisions.count() == 1

    def test_a_failure_part_way_leaves_the_review_open_and_the_stage_unchanged(
        self, initiative, review, sam, monkeypatch
    ):
        answer_checklist(review, sam)
        record = audit.record

        def failing_on_the_stage_change(action, *args, **kwargs):
            if action == "initiative.stage_changed":
                raise RuntimeError("the audit store is unavailable")
            return record(action, *args, **kwargs)

        monkeypatch.setattr(audit, "record", failing_on_the_stage_change)

        with pytest.raises(RuntimeError):
            decide(review, sam)

        initiative.refresh_from_db()
        review.refresh_from_db()
        assert (initiative.stage, review.status) == (Stage.DEFINE_OUTCOME, GateReview.Status.OPEN)
        assert not review.decisions.exists()

    def test_an_unknown_decision_is_invalid(self, review, sam):
        with pytest.raises(ValidationError) as exc:
            decide(review, sam, "maybe")

        assert "decision" in exc.value.message_dict
        assert not review.decisions.exists()


class TestSlots:
    def test_both_foundation_roles_must_approve(self, in_foundation, foundation_review, rita, dana):
        decide(foundation_review, rita)
        in_foundation.refresh_from_db()
        assert in_foundation.stage == Stage.SECURE_FOUNDATION

        decide(foundation_review, dana)

        in_foundation.refresh_from_db()
        assert in_foundation.stage == Stage.MEASURE_IMPACT
        roles = list(foundation_review.decisions.values_list("role", "slot"))
        assert roles == [("security-risk", 0), ("data-platform", 1)]

    def test_one_person_fills_one_slot_only(self, in_foundation, foundation_review, alice, rita, dana):
        give_role(in_foundation, Role.DATA_PLATFORM, rita, by=alice)  # Rita now holds both required roles
        decide(foundation_review, rita)

        with pytest.raises(TransitionError, match="one person counts for one required role"):
            decide(foundation_review, rita)

        in_foundation.refresh_from_db()
        assert in_foundation.stage == Stage.SECURE_FOUNDATION
        assert foundation_review.decisions.filter(decision="approve").count() == 1
        decide(foundation_review, dana)
        in_foundation.refresh_from_db()
        assert in_foundation.stage == Stage.MEASURE_IMPACT

    def test_a_second_holder_of_a_filled_role_has_no_slot_left(
        self, in_foundation, foundation_review, alice, rita, charlie
    ):
        give_role(in_foundation, Role.SECURITY_RISK, charlie, by=alice)
        decide(foundation_review, rita)

        with pytest.raises(TransitionError, match="already approved"):
            decide(foundation_review, charlie)

        assert foundation_review.decisions.count() == 1

    def test_a_low_risk_charter_needs_one_approval(self, make_initiative, alice, sam):
        initiative = make_initiative(risk_tier="low")
        decide(request(initiative, alice), sam)

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION

    def test_a_low_risk_foundation_gate_needs_one_of_the_risk_owners(self, make_initiative, alice, sam, dana):
        initiative = make_initiative(risk_tier="low")
        pass_charter_signoff(initiative, requester=alice, approver=sam)
        give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)

        pass_gate(initiative, requester=alice, approvers=[dana])

        assert initiative.stage == Stage.MEASURE_IMPACT

    def test_a_high_risk_charter_needs_sponsor_and_cto(self, make_initiative, alice, sam, lee):
        initiative = make_initiative(risk_tier="high")
        review = request(initiative, alice)
        assert review.policy.approver_slots == [["executive-sponsor"], ["cto"]]

        decide(review, sam)
        initiative.refresh_from_db()
        assert initiative.stage == Stage.DEFINE_OUTCOME

        approval = decide(review, lee)

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION
        assert approval.role == "cto"

    def test_a_leader_approving_first_leaves_the_sponsor_their_slot(self, make_initiative, alice, sam, lee):
        initiative = make_initiative(risk_tier="high")
        review = request(initiative, alice)

        assert decide(review, lee).role == "cto"  # Sam is the named sponsor, nobody holds CTO
        assert decide(review, sam).role == "executive-sponsor"

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION

    def test_a_leader_stands_in_for_a_sponsor_who_requested(self, make_initiative, alice, sam, lee, charlie):
        initiative = make_initiative(risk_tier="high")
        give_role(initiative, Role.CTO, charlie, by=alice)
        review = request(initiative, sam)

        assert decide(review, lee).role == "executive-sponsor"  # Sam may not approve his own request
        assert decide(review, charlie).role == "cto"

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION

    def test_a_leader_stands_in_for_the_requesting_sponsor_whichever_slot_comes_first(
        self, make_initiative, alice, sam, lee, charlie
    ):
        initiative = make_initiative(risk_tier="high")
        v1 = GatePolicy.objects.current("charter-signoff", "high")
        GatePolicy.objects.create(
            gate=v1.gate,
            risk_tier=v1.risk_tier,
            version=2,
            criteria=v1.criteria,
            approver_slots=[["cto"], ["executive-sponsor"]],
            published_at=timezone.now(),
        )
        give_role(initiative, Role.CTO, charlie, by=alice)
        review = request(initiative, sam)

        # Charlie can still fill the CTO slot; nobody but a leader can fill the sponsor's, Sam having asked.
        assert (decide(review, lee).role, decide(review, charlie).role) == ("executive-sponsor", "cto")

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION

    def test_a_leader_who_holds_cto_approves_as_cto(self, initiative, alice, lee):
        give_role(initiative, Role.CTO, lee, by=alice)
        review = request(initiative, alice)  # one slot, filled by the sponsor or the CTO

        assert decide(review, lee).role == "cto"

    def test_a_leader_fills_the_slot_of_their_own_role_before_standing_in(self, make_initiative, alice, sam, lee):
        initiative = make_initiative(risk_tier="high")
        give_role(initiative, Role.CTO, lee, by=alice)
        review = request(initiative, sam)  # nobody else may fill the sponsor's slot now

        approval = decide(review, lee)

        assert (approval.role, approval.slot) == ("cto", 1)

    def test_a_high_risk_foundation_gate_adds_legal(self, make_initiative, alice, sam, rita, dana, charlie):
        initiative = make_initiative(risk_tier="high")
        give_role(initiative, Role.CTO, charlie, by=alice)
        pass_gate(initiative, requester=alice, approvers=[sam, charlie])  # the charter gate: sponsor, CTO
        assert initiative.stage == Stage.SECURE_FOUNDATION
        give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
        give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
        review = request(initiative, alice)

        decide(review, rita)
        decide(review, dana)

        initiative.refresh_from_db()
        assert initiative.stage == Stage.SECURE_FOUNDATION  # legal/compliance has not approved
        assert review.decisions.count() == 2


class TestCloseWithoutAdvancing:
    @pytest.mark.parametrize("decision, status", [("request-changes", "changes-requested"), ("reject", "rejected")])
    def test_it_needs_a_comment_and_keeps_the_stage(self, initiative, review, sam, decision, status):
        with pytest.raises(ValidationError) as exc:
            decide(review, sam, decision, comment="   ")
        assert "comment" in exc.value.message_dict
        since = last_event_id()

        decide(review, sam, decision, comment="The guardrails need numbers.")

        initiative.refresh_from_db()
        review.refresh_from_db()
        assert (initiative.stage, initiative.status) == (Stage.DEFINE_OUTCOME, Initiative.Status.ACTIVE)
        assert review.status == status
        assert actions(initiative, since) == ["gate.decided", "gate.closed"]
        assert AuditEvent.objects.get(action="gate.decided").after["comment"] == "The guardrails need numbers."

    def test_a_new_review_can_be_requested_after_changes(self, initiative, review, alice, sam):
        decide(review, sam, "request-changes", comment="Name the guardrail bounds.")

        again = request(initiative, alice)

        assert again.pk != review.pk and again.is_open

    def test_hold_puts_the_initiative_on_hold_until_resumed(self, initiative, review, sam, alice):
        decide(review, sam, "hold", comment="Budget freeze until Q3.")

        initiative.refresh_from_db()
        review.refresh_from_db()
        assert (initiative.stage, initiative.status) == (Stage.DEFINE_OUTCOME, Initiative.Status.ON_HOLD)
        assert review.status == GateReview.Status.HELD
        with pytest.raises(PermissionDenied):
            resume_initiative(initiative.pk, acting_user=alice, comment="Please?")
        with pytest.raises(ValidationError):
            resume_initiative(initiative.pk, acting_user=sam, comment=" ")

        resume_initiative(initiative.pk, acting_user=sam, comment="Budget released.")

        initiative.refresh_from_db()
        assert initiative.status == Initiative.Status.ACTIVE
        changes = AuditEvent.objects.filter(action="initiative.status_changed").order_by("id")
        assert [(e.before, e.after) for e in changes] == [
            ({"status": "active"}, {"status": "on-hold"}),
            ({"status": "on-hold"}, {"status": "active"}),
        ]
        with pytest.raises(TransitionError, match="not on hold"):
            resume_initiative(initiative.pk, acting_user=sam, comment="Again.")

    def test_kill_ends_the_initiative(self, initiative, review, sam, lee):
        decide(review, sam, "kill", comment="No measurable outcome.")

        initiative.refresh_from_db()
        review.refresh_from_db()
        assert initiative.status == Initiative.Status.KILLED
        assert initiative.stage == Stage.DEFINE_OUTCOME
        assert review.status == GateReview.Status.KILLED
        assert AuditEvent.objects.get(action="initiative.status_changed").after == {"status": "killed"}
        with pytest.raises(TransitionError, match="killed"):
            resume_initiative(initiative.pk, acting_user=lee, comment="Revive it.")


class TestRecycle:
    def test_it_goes_back_to_the_previous_stage_by_default(self, in_foundation, foundation_review, rita):
        entered = in_foundation.stage_entered_at

        record = decide(foundation_review, rita, "recycle", comment="The charter hides a second use case.")

        in_foundation.refresh_from_db()
        foundation_review.refresh_from_db()
        assert in_foundation.stage == Stage.DEFINE_OUTCOME
        assert in_foundation.stage_entered_at > entered
        assert in_foundation.status == Initiative.Status.ACTIVE
        assert foundation_review.status == GateReview.Status.RECYCLED
        assert record.recycle_to == Stage.DEFINE_OUTCOME
        moved = AuditEvent.objects.filter(action="initiative.stage_changed").last()
        assert (moved.before, moved.after["stage"]) == ({"stage": "secure-foundation"}, "define-outcome")

    def test_it_goes_back_to_an_explicit_earlier_stage(self, in_foundation, foundation_review, alice, rita, dana, lee):
        decide(foundation_review, rita)
        decide(foundation_review, dana)
        in_foundation.refresh_from_db()
        assert in_foundation.stage == Stage.MEASURE_IMPACT
        review = request(in_foundation, alice)

        with pytest.raises(ValidationError) as exc:
            decide(review, lee, "recycle", comment="Back.", recycle_to=Stage.SCALED)
        assert "recycle_to" in exc.value.message_dict
        decide(review, lee, "recycle", comment="Start over.", recycle_to=Stage.DEFINE_OUTCOME)

        in_foundation.refresh_from_db()
        assert in_foundation.stage == Stage.DEFINE_OUTCOME

    def test_by_default_it_goes_back_one_stage_from_further_on(
        self, in_foundation, foundation_review, alice, rita, dana, sam
    ):
        decide(foundation_review, rita)
        decide(foundation_review, dana)
        review = request(in_foundation, alice)  # measure-impact: two stages lie behind it

        decide(review, sam, "recycle", comment="Measure the pilot again.")

        in_foundation.refresh_from_db()
        assert in_foundation.stage == Stage.SECURE_FOUNDATION

    def test_it_is_refused_in_the_first_stage(self, initiative, review, sam):
        with pytest.raises(TransitionError, match="first stage"):
            decide(review, sam, "recycle", comment="Back.")

        review.refresh_from_db()
        assert review.is_open
        assert not review.decisions.exists()

    def test_other_decisions_do_not_record_a_recycle_target(self, initiative, review, sam):
        record = decide(review, sam, "reject", comment="No.", recycle_to=Stage.DEFINE_OUTCOME)

        assert GateDecision.objects.get(pk=record.pk).recycle_to == ""
