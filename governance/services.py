"""Gate reviews and decisions: the only code that changes an initiative's stage."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from governance import audit
from governance.criteria import evaluate, evaluated_as_of
from governance.criteria import now as criteria_now
from governance.errors import ChecklistIncomplete, TransitionError
from governance.models import ChecklistItem, Gate, GateDecision, GatePolicy, GateReview
from governance.notifications import notify_decision
from governance.permissions import can_edit, can_resume, check_can_decide, open_slots_for
from governance.snapshots import build_snapshot
from initiatives.locking import lock_initiative
from initiatives.models import Initiative, StageChange


def gate_for(initiative: Initiative) -> Gate | None:
    return Gate.leaving(initiative.stage)


def policy_for(initiative: Initiative, gate: Gate) -> GatePolicy:
    policy = GatePolicy.objects.current(gate, initiative.risk_tier)
    if policy is None:
        raise TransitionError(
            f"No published {gate.label} policy for {initiative.risk_tier} risk; ask an admin to publish one."
        )
    return policy


def criteria_for(initiative: Initiative):
    """The next gate's criteria evaluated now, or [] when there is no next gate."""
    gate = gate_for(initiative)
    if gate is None:
        return []
    policy = GatePolicy.objects.current(gate, initiative.risk_tier)
    return evaluate(initiative, policy.criteria) if policy else []


@transaction.atomic
def request_review(initiative_id: int, *, acting_user, override_reason: str = "") -> GateReview:
    """1. lock the initiative; 2. check it may move; 3. evaluate criteria; 4. snapshot; 5. audit; 6. notify."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_edit, to="request a gate review")
    if not initiative.is_active:
        raise TransitionError(
            f"The initiative is {initiative.get_status_display().lower()}; it cannot request a gate review."
        )
    gate = gate_for(initiative)
    if gate is None:
        raise TransitionError("The initiative is scaled: there is no further gate.")
    if initiative.gate_reviews.filter(status=GateReview.Status.OPEN).exists():
        raise TransitionError("A gate review is already open for this initiative.")
    policy = policy_for(initiative, gate)
    # The stored results are "when requested": days and expected progress count up to the request.
    requested_at = criteria_now()
    with evaluated_as_of(requested_at):
        results = evaluate(initiative, policy.criteria)
    override_reason = override_reason.strip()
    unmet = [r for r in results if not r.passed]
    if unmet and not override_reason:
        raise TransitionError(
            "Gate criteria not met: "
            + "; ".join(f"{r.label}: {r.reason}" for r in unmet)
            + ". Give an override reason to request the review anyway."
        )
    snapshot, snapshot_hash = build_snapshot(initiative)
    review = GateReview.objects.create(
        initiative=initiative,
        gate=gate,
        policy=policy,
        from_stage=initiative.stage,
        to_stage=gate.to_stage,
        requested_by=acting_user,
        requested_at=requested_at,
        override_reason=override_reason if unmet else "",
        criteria_results=[r.as_dict() for r in results],
        snapshot=snapshot,
        snapshot_hash=snapshot_hash,
    )
    audit.record(
        "gate.requested",
        review,
        actor=acting_user,
        after={
            "gate": gate.value,
            "policy": str(policy),
            "override_reason": review.override_reason,
            "criteria_unmet": [r.key for r in unmet],
            "snapshot_hash": snapshot_hash,
        },
        initiative_id=initiative.pk,
    )
    # Approvers hear of it from the scheduled notify_new_reviews_task: nothing here waits on the broker.
    initiative.mark_dirty()
    return review


@transaction.atomic
def decide(review_id: int, *, acting_user, decision: str, comment: str = "", recycle_to: str = "") -> GateDecision:
    """Record one approver's decision; the last required approval advances the stage.

    The initiative row is locked first, then the review, so two approvers clicking
    at once are serialised and the stage can only advance once. Every writer locks
    the initiative first, so a charter edit racing a decision cannot deadlock.
    """
    initiative_id = GateReview.objects.values_list("initiative_id", flat=True).get(pk=review_id)
    initiative = lock_initiative(initiative_id)
    review = GateReview.objects.select_for_update(of=("self",)).select_related("policy").get(pk=review_id)
    review.initiative = initiative
    if decision not in GateDecision.Kind.values:
        raise ValidationError({"decision": f"Choose one of: {', '.join(GateDecision.Kind.values)}."})
    check_can_decide(acting_user, review)
    if not review.is_open:
        raise TransitionError(f"This review is already closed ({review.get_status_display().lower()}).")
    comment = comment.strip()
    if decision == GateDecision.Kind.APPROVE:
        return _approve(review, initiative, acting_user, comment)
    if not comment:
        raise ValidationError({"comment": "Say why: a comment is required for every decision except approve."})
    recycle_to = _check_recycle_target(initiative, recycle_to) if decision == GateDecision.Kind.RECYCLE else ""
    return _close(review, initiative, acting_user, decision, comment, recycle_to)


def unanswered_checklist(review: GateReview, role: str, *, completes: bool) -> list[ChecklistItem]:
    """The gate's checklist questions still unanswered that an approval as `role` rests on.

    An approver answers the questions addressed to their role; the approval that completes the
    review needs every question answered, so questions for a role that does not approve (the PM's)
    are answered before the gate is passed.
    """
    answered = set(review.checklist_answers.values_list("item_id", flat=True))
    return [
        item
        for item in ChecklistItem.objects.filter(gate=review.gate)
        if item.pk not in answered and (completes or item.is_asked_of(role))
    ]


def _completes(review: GateReview) -> bool:
    """Whether one more approval fills the last required role."""
    live = review.decisions.filter(decision=GateDecision.Kind.APPROVE, is_stale=False).count()
    return live + 1 == len(review.policy.approver_slots)


def checklist_due(user, review: GateReview) -> list[ChecklistItem]:
    """The questions still to answer before this user's approval can count ([] when they fill no open role)."""
    slots = open_slots_for(user, review)
    return unanswered_checklist(review, slots[0][1], completes=_completes(review)) if slots else []


def _checklist_record(review: GateReview) -> list[dict]:
    return [a.as_record() for a in review.checklist_answers.select_related("item", "answered_by")]


def _approve(review, initiative, user, comment) -> GateDecision:
    if review.decisions.filter(decision=GateDecision.Kind.APPROVE, decided_by=user, is_stale=False).exists():
        raise TransitionError("You have already approved this review; one person counts for one required role only.")
    slots = open_slots_for(user, review)
    if not slots:
        raise TransitionError("Every required role you could fill has already approved.")
    slot, role = slots[0]
    completes = _completes(review)
    unanswered = unanswered_checklist(review, role, completes=completes)
    if unanswered:
        raise ChecklistIncomplete([item.question for item in unanswered])
    checklist = _checklist_record(review)
    try:
        with transaction.atomic():
            approval = GateDecision.objects.create(
                review=review,
                decision=GateDecision.Kind.APPROVE,
                decided_by=user,
                role=role,
                slot=slot,
                comment=comment,
                snapshot_hash=review.snapshot_hash,
                checklist=checklist,
            )
    except IntegrityError:
        raise TransitionError("That approval was already recorded.") from None
    audit.record(
        "gate.decided",
        approval,
        actor=user,
        initiative_id=initiative.pk,
        after={
            "review": review.pk,
            "decision": "approve",
            "role": role,
            "comment": comment,
            "snapshot_hash": review.snapshot_hash,
            "checklist": checklist,
        },
    )
    if completes:
        _finish(review, GateReview.Status.APPROVED, user)
        _move_stage(initiative, review.to_stage, user, review)
    notify_decision(approval)
    return approval


def _close(review, initiative, user, decision, comment, recycle_to) -> GateDecision:
    checklist = _checklist_record(review)
    record = GateDecision.objects.create(
        review=review,
        decision=decision,
        decided_by=user,
        comment=comment,
        recycle_to=recycle_to,
        snapshot_hash=review.snapshot_hash,
        checklist=checklist,
    )
    audit.record(
        "gate.decided",
        record,
        actor=user,
        initiative_id=initiative.pk,
        after={
            "review": review.pk,
            "decision": decision,
            "comment": comment,
            "recycle_to": recycle_to,
            "checklist": checklist,
        },
    )
    outcome = {
        GateDecision.Kind.REQUEST_CHANGES: GateReview.Status.CHANGES_REQUESTED,
        GateDecision.Kind.REJECT: GateReview.Status.REJECTED,
        GateDecision.Kind.HOLD: GateReview.Status.HELD,
        GateDecision.Kind.KILL: GateReview.Status.KILLED,
        GateDecision.Kind.RECYCLE: GateReview.Status.RECYCLED,
    }[decision]
    _finish(review, outcome, user)
    if decision == GateDecision.Kind.HOLD:
        _set_status(initiative, Initiative.Status.ON_HOLD, user)
    elif decision == GateDecision.Kind.KILL:
        _set_status(initiative, Initiative.Status.KILLED, user)
    elif decision == GateDecision.Kind.RECYCLE:
        _move_stage(initiative, recycle_to, user, review)
    notify_decision(record)
    return record


def _check_recycle_target(initiative: Initiative, recycle_to: str) -> str:
    earlier = initiative.earlier_stages()
    if not earlier:
        raise TransitionError("The initiative is in its first stage; there is no earlier stage to recycle to.")
    if not recycle_to:
        return earlier[-1].value
    if recycle_to not in [s.value for s in earlier]:
        raise ValidationError({"recycle_to": f"Choose an earlier stage: {', '.join(s.value for s in earlier)}."})
    return recycle_to


def _finish(review: GateReview, status: str, user) -> None:
    before = review.status
    review.status = status
    review.closed_at = timezone.now()
    review.save(update_fields=["status", "closed_at"])
    audit.record(
        "gate.closed",
        review,
        actor=user,
        initiative_id=review.initiative_id,
        before={"status": before},
        after={"status": status},
    )
    review.initiative.mark_dirty()


def _move_stage(initiative: Initiative, to_stage: str, user, review: GateReview) -> None:
    before = initiative.stage
    left = _state(initiative)
    initiative.stage = to_stage
    initiative.stage_entered_at = timezone.now()
    initiative.save(update_fields=["stage", "stage_entered_at", "updated_at"])
    _record_change(initiative, left, initiative.stage_entered_at)
    audit.record(
        "initiative.stage_changed",
        initiative,
        actor=user,
        initiative_id=initiative.pk,
        before={"stage": before},
        after={"stage": to_stage, "review": review.pk},
    )


def _set_status(initiative: Initiative, status: str, user) -> None:
    before = initiative.status
    left = _state(initiative)
    initiative.status = status
    initiative.save(update_fields=["status", "updated_at"])
    _record_change(initiative, left, timezone.now())
    audit.record(
        "initiative.status_changed",
        initiative,
        actor=user,
        initiative_id=initiative.pk,
        before={"status": before},
        after={"status": status},
    )
    initiative.mark_dirty()


def _state(initiative: Initiative) -> dict:
    return {"stage": initiative.stage, "status": initiative.status, "stage_entered_at": initiative.stage_entered_at}


def _record_change(initiative: Initiative, left: dict, at) -> None:
    """The stage/status history (initiatives.models.StageChange), written with the change it records."""
    StageChange.objects.create(
        initiative=initiative,
        changed_at=at,
        from_stage=left["stage"],
        from_status=left["status"],
        from_stage_entered_at=left["stage_entered_at"],
        to_stage=initiative.stage,
        to_status=initiative.status,
    )


@transaction.atomic
def resume_initiative(initiative_id: int, *, acting_user, comment: str) -> Initiative:
    """Take an initiative off hold. Killed initiatives stay killed."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_resume, to="resume this initiative")
    if initiative.status != Initiative.Status.ON_HOLD:
        raise TransitionError(f"The initiative is {initiative.get_status_display().lower()}, not on hold.")
    if not comment.strip():
        raise ValidationError({"comment": "Say why the initiative resumes."})
    _set_status(initiative, Initiative.Status.ACTIVE, acting_user)
    return initiative


def mark_stale_approvals(initiative: Initiative, *, acting_user) -> int:
    """After a material edit: approvals bound to other content go stale, and an open review re-snapshots.

    Must run inside the editing transaction. Returns how many approvals went stale.
    """
    bound = GateReview.objects.filter(initiative=initiative).filter(
        Q(status=GateReview.Status.OPEN) | Q(decisions__decision=GateDecision.Kind.APPROVE, decisions__is_stale=False)
    )
    if not bound.exists():
        return 0  # nothing is bound to the old content: skip building a snapshot
    snapshot, snapshot_hash = build_snapshot(initiative)
    stale = list(
        GateDecision.objects.select_for_update()
        .filter(review__initiative=initiative, decision=GateDecision.Kind.APPROVE, is_stale=False)
        .exclude(snapshot_hash=snapshot_hash)
    )
    for approval in stale:
        approval.is_stale = True
        approval.save(update_fields=["is_stale"])
        audit.record(
            "gate.approval_stale",
            approval,
            actor=acting_user,
            initiative_id=initiative.pk,
            before={"snapshot_hash": approval.snapshot_hash},
            after={"snapshot_hash": snapshot_hash},
        )
    GateReview.objects.filter(initiative=initiative, status=GateReview.Status.OPEN).exclude(
        snapshot_hash=snapshot_hash
    ).update(snapshot=snapshot, snapshot_hash=snapshot_hash)
    return len(stale)
