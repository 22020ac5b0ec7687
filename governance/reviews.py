"""The approver's side of gate reviews: those awaiting a person's decision, and the decision pack they
decide from. Pages of every app read these; none of them is a view."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from governance import services
from governance.criteria import compare, evaluate, readiness
from governance.foundation.panels import checklist_context
from governance.models import Gate, GateDecision, GateReview
from governance.permissions import check_can_decide, open_slots_for
from initiatives.models import Role
from initiatives.people import person_name
from kpis.charts import evidence_charts
from kpis.scorecards import latest_scorecard


def reviews_awaiting(user) -> list[GateReview]:
    """Open reviews in which this user may still fill a required approver role."""
    open_reviews = (
        GateReview.objects.visible_to(user)
        .for_approval_pages()
        .filter(status=GateReview.Status.OPEN)
        .order_by("requested_at")
    )
    return [r for r in open_reviews if r.requested_by_id != user.pk and open_slots_for(user, r)]


def decision_pack(user, review: GateReview, form, bound: dict | None = None) -> dict:
    """Everything the approval page shows of one review; `bound` holds checklist forms that came back with errors."""
    try:
        check_can_decide(user, review)
        blocked_reason = "" if review.is_open else "This review is closed."
    except PermissionDenied as exc:
        blocked_reason = str(exc)
    approvals = [d for d in review.decisions.all() if d.decision == GateDecision.Kind.APPROVE and not d.is_stale]
    slots = [
        {"roles": [Role(r).label for r in roles], "approval": next((a for a in approvals if a.slot == index), None)}
        for index, roles in enumerate(review.policy.approver_slots)
    ]
    initiative = review.initiative
    my_slots = open_slots_for(user, review) if review.is_open and not blocked_reason else []
    my_approval = next((a for a in approvals if a.decided_by_id == user.pk), None)
    due = services.checklist_due(user, review) if my_slots else []
    # The gate's criteria now, beside the results stored when it was requested (counted as of that day).
    criteria_now = evaluate(initiative, review.policy.criteria)
    rows = compare(criteria_now, review.criteria_results)
    evaluated_at = timezone.now()
    return {
        "review": review,
        "initiative": initiative,
        "form": form,
        "slots": slots,
        "can_decide": not blocked_reason,
        "blocked_reason": blocked_reason,
        "my_role": Role(my_slots[0][1]).label if my_slots else "",
        "my_approval": my_approval,
        "criteria_rows": rows,
        "criteria_changes": sum(r["changed"] for r in rows),
        "readiness": {**readiness(criteria_now), "gate": review.get_gate_display(), "evaluated_at": evaluated_at},
        "charter": review.snapshot.get("charter", {}),
        "charter_owner": _snapshot_person(review.snapshot.get("charter", {}).get("owner")),
        "charter_changed": review.is_open and bool(review.decisions.filter(is_stale=True).exists()),
        "decision_kinds": GateDecision.Kind.choices,
        "earlier_stages": initiative.earlier_stages(),
        "scorecard": latest_scorecard(initiative),
        "evidence_charts": evidence_charts(initiative) if review.gate == Gate.SCALE_OUT else [],
        **checklist_context(review, can_answer=not blocked_reason, bound=bound, due=due),
    }


def _snapshot_person(username: str | None) -> str:
    """A snapshot binds to a username (it identifies); the pack names the person."""
    if not username:
        return "—"
    user = get_user_model().objects.filter(username=username).first()
    return person_name(user) if user else username
