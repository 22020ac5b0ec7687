"""The approver's side of gate reviews: those awaiting a person's decision, and the decision pack they
decide from. Pages of every app read these; none of them is a view."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.utils import timezone

from governance import services
from governance.criteria import compare, evaluate, readiness
from governance.foundation.panels import checklist_context
from governance.models import Gate, GateDecision, GatePolicy, GateReview
from governance.models.gates import past_due
from governance.permissions import check_can_decide, offers_a_slot, open_slots_for
from initiatives.models import Initiative, Role, RoleAssignment, is_leader
from initiatives.people import name_from_columns, person_name
from kpis.after_action import after_action_evidence
from kpis.charts import cohort_mix, evidence_charts
from kpis.scorecards import latest_scorecard

# Labels by value, looked up once: get_FOO_display rebuilds its choices on every call.
GATE_LABELS = dict(Gate.choices)
STATUS_LABELS = dict(GateReview.Status.choices)
TIER_LABELS = dict(Initiative.RiskTier.choices)
NO_ROLES = frozenset()


class Inbox(NamedTuple):
    awaiting: list[int]  # ids of the open reviews in which the user may still fill a required approver role
    others: list[int]  # ids of the other open reviews the user can see


def approval_inbox(user) -> Inbox:
    """The open reviews this user can see, split by open_slots_for's rule (offers_a_slot): those awaiting
    them (the longest waiting first) and the others (the newest first).

    It reads a few narrow rows for all open reviews at once (ids, live approvals, the user's roles) and
    no review twice, so a page then loads whole rows only for the reviews it shows (page_of_reviews).
    """
    open_reviews = GateReview.objects.visible_to(user).filter(status=GateReview.Status.OPEN)
    rows = list(open_reviews.order_by("requested_at", "id").values_list("pk", "policy", "initiative", "requested_by"))
    slots = dict(GatePolicy.objects.order_by().values_list("pk", "approver_slots"))  # a few dozen versions at most
    approvals, held, leader = _live_approvals(open_reviews), _roles_by_initiative(user), is_leader(user)
    me = user.pk
    awaiting = [
        pk
        for pk, policy_id, initiative_id, requested_by in rows
        if requested_by != me
        and offers_a_slot(
            slots[policy_id], approvals.get(pk, ()), user_id=me, held=held.get(initiative_id, NO_ROLES), leader=leader
        )
    ]
    waiting = set(awaiting)
    return Inbox(awaiting, [pk for pk, *_ in reversed(rows) if pk not in waiting])


def _live_approvals(reviews) -> dict[int, list[tuple[int, int]]]:
    """{review id: [(slot, decided_by_id), ...]} of the approvals that count (not stale) on `reviews`."""
    approvals = defaultdict(list)
    live = GateDecision.objects.filter(review__in=reviews, decision=GateDecision.Kind.APPROVE, is_stale=False)
    for review_id, slot, decided_by in live.order_by().values_list("review", "slot", "decided_by"):
        approvals[review_id].append((slot, decided_by))
    return approvals


def _roles_by_initiative(user) -> dict[int, set[str]]:
    held = defaultdict(set)
    for initiative_id, role in RoleAssignment.objects.filter(user=user).order_by().values_list("initiative", "role"):
        held[initiative_id].add(role)
    return held


@dataclass(frozen=True)
class ReviewRow:
    """A gate review as a list of reviews shows it, from one narrow row (GateReviewQuerySet.for_review_rows)."""

    pk: int
    gate: str
    status: str
    override_reason: str
    requested_at: datetime
    title: str  # the initiative's
    risk_tier: str
    due_days: int  # the policy's review_due_days
    requester: str  # a username
    requester_first_name: str
    requester_last_name: str

    @property
    def gate_label(self) -> str:
        return GATE_LABELS.get(self.gate, self.gate)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def risk_tier_label(self) -> str:
        return TIER_LABELS.get(self.risk_tier, self.risk_tier)

    @property
    def requester_name(self) -> str:
        return name_from_columns(self.requester, self.requester_first_name, self.requester_last_name)

    @property
    def is_overdue(self) -> bool:
        return past_due(self.status, self.requested_at, self.due_days)


def as_review_rows(reviews) -> list[ReviewRow]:
    """`reviews` (a GateReview queryset) as ReviewRows, in its order."""
    return [ReviewRow(**row) for row in reviews.for_review_rows()]


def page_of_reviews(ids: list[int], number, *, per_page: int) -> Page:
    """One page of `ids` (a page number from the query string; a bad one gives the first or last page),
    as ReviewRows, in one query, in the order of `ids`."""
    page = Paginator(ids, per_page).get_page(number)
    rows = {row.pk: row for row in as_review_rows(GateReview.objects.filter(pk__in=page.object_list))}
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return page


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
        "cohort_mix": cohort_mix(initiative) if review.gate == Gate.SCALE_OUT else None,
        # What the framework asks before funding scale-out, and what a reuse-ready approver reads back.
        "after_action": after_action_evidence(initiative)
        if review.gate in (Gate.SCALE_OUT, Gate.REUSE_READY)
        else None,
        "shows_after_action": review.gate in (Gate.SCALE_OUT, Gate.REUSE_READY),
        **checklist_context(review, can_answer=not blocked_reason, bound=bound, due=due),
    }


def _snapshot_person(username: str | None) -> str:
    """A snapshot binds to a username (it identifies); the pack names the person."""
    if not username:
        return "—"
    user = get_user_model().objects.filter(username=username).first()
    return person_name(user) if user else username
