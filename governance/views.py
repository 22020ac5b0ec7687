from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance import services
from governance.criteria import compare, evaluate, readiness
from governance.errors import TransitionError
from governance.forms import DecisionForm, TokenForm
from governance.models import ApiToken, Gate, GateDecision, GateReview
from governance.permissions import check_can_decide, open_slots_for
from governance.tokens import issue_token, revoke_token
from initiatives.models import Initiative, Role, RoleAssignment
from initiatives.people import person_name
from kpis.charts import evidence_charts
from kpis.scorecards import latest_scorecard


def _reviews_visible_to(user):
    return (
        GateReview.objects.filter(initiative__in=Initiative.objects.visible_to(user))
        .select_related("initiative", "policy", "requested_by")
        .prefetch_related(
            Prefetch("decisions", queryset=GateDecision.objects.select_related("decided_by")),
            Prefetch("initiative__role_assignments", queryset=RoleAssignment.objects.select_related("user")),
        )
    )


def reviews_awaiting(user) -> list[GateReview]:
    """Open reviews in which this user may still fill a required approver role."""
    open_reviews = _reviews_visible_to(user).filter(status=GateReview.Status.OPEN).order_by("requested_at")
    return [r for r in open_reviews if r.requested_by_id != user.pk and open_slots_for(user, r)]


@login_required
def approval_list(request):
    awaiting = reviews_awaiting(request.user)
    waiting_ids = {r.pk for r in awaiting}
    others = [
        r for r in _reviews_visible_to(request.user).filter(status=GateReview.Status.OPEN) if r.pk not in waiting_ids
    ]
    decided = _reviews_visible_to(request.user).exclude(status=GateReview.Status.OPEN).order_by("-closed_at")[:20]
    context = {"awaiting": awaiting, "others": others, "decided": decided}
    return render(request, "governance/approval_list.html", context)


@login_required
def approval_detail(request, pk):
    review = get_object_or_404(_reviews_visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                decision = services.decide(review.pk, acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except TransitionError as exc:
                messages.error(request, str(exc))
                return redirect("governance:approval_detail", pk=review.pk)
            else:
                messages.success(request, f"Recorded: {decision.get_decision_display()}.")
                return redirect("governance:approval_detail", pk=review.pk)
        else:
            form.add_error(None, "Choose a decision.")
    return render(request, "governance/approval_detail.html", _decision_pack(request.user, review, form))


def _decision_pack(user, review: GateReview, form, bound: dict | None = None) -> dict:
    from governance.foundation.views import checklist_context

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


@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, new_key = issue_token(
                acting_user=request.user, user=request.user, name=form.cleaned_data["name"], expires_at=expires_at
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "governance/token_list.html", {"form": form, "tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    revoke_token(token.pk, acting_user=request.user)
    messages.success(request, f"Token “{token.name}” revoked; clients using it now get 401.")
    return redirect("governance:tokens")
