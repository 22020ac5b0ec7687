from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance import services as governance
from governance.criteria import readiness
from governance.errors import TransitionError
from governance.foundation.panels import foundation_context
from governance.history import describe
from governance.library.panels import library_context
from governance.models import AuditEvent, GateDecision
from governance.permissions import can_edit, can_resume
from governance.reviews import reviews_awaiting
from initiatives import services
from initiatives.forms import CharterForm, InitiativeForm, ResumeForm, ReviewRequestForm, RoleAssignmentForm
from initiatives.models import ACCOUNTABLE_ROLES, ROLE_DUTIES, Initiative, Role, RoleAssignment, Stage
from initiatives.people import person_name
from initiatives.shortcuts import get_initiative_for_user
from kpis.panels import tree_context
from kpis.scorecards import latest_scorecard, stale_kpis_owned_by
from opmodel.forms import apply_errors, report_error


@login_required
def home(request):
    mine = (
        Initiative.objects.visible_to(request.user)
        .filter(role_assignments__user=request.user)
        .distinct()
        .order_by("stage", "title")
    )
    context = {
        "awaiting": reviews_awaiting(request.user),
        "initiatives": mine,
        "stale_kpis": stale_kpis_owned_by(request.user),
    }
    return render(request, "initiatives/home.html", context)


@login_required
def initiative_list(request):
    queryset = Initiative.objects.visible_to(request.user).select_related("charter__owner").order_by("title", "id")
    stage, status = request.GET.get("stage", ""), request.GET.get("status", "")
    if stage in Stage.values:
        queryset = queryset.filter(stage=stage)
    if status in Initiative.Status.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "stages": Stage.choices,
        "statuses": Initiative.Status.choices,
        "stage": stage,
        "status": status,
    }
    return render(request, "initiatives/initiative_list.html", context)


@login_required
def initiative_create(request):
    form = InitiativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        initiative = services.create_initiative(acting_user=request.user, **form.cleaned_data)
        messages.success(request, "Initiative created. Next: fill in its experiment charter.")
        return redirect("initiatives:charter", slug=initiative.slug)
    return render(request, "initiatives/initiative_form.html", {"form": form})


@login_required
def initiative_edit(request, slug):
    initiative = get_initiative_for_user(request, slug)
    if not can_edit(request.user, initiative):
        raise PermissionDenied
    form = InitiativeForm(request.POST or None, instance=Initiative.objects.get(pk=initiative.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_initiative(initiative.pk, acting_user=request.user, **form.cleaned_data)
        except PermissionDenied as exc:
            form.add_error("risk_tier", str(exc))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Initiative saved.")
            return redirect(initiative)
    return render(request, "initiatives/initiative_form.html", {"form": form, "initiative": initiative})


@login_required
def initiative_detail(request, slug):

    initiative = get_initiative_for_user(request, slug)
    assignments = list(initiative.role_assignments.select_related("user"))
    reviews = initiative.gate_reviews.select_related("requested_by", "policy").prefetch_related(
        Prefetch("decisions", queryset=GateDecision.objects.select_related("decided_by"))
    )
    open_review = next((r for r in reviews if r.is_open), None)
    editable = can_edit(request.user, initiative)
    # Readiness is counted from the criteria evaluated now, never from the last snapshot, so it can
    # never contradict the criteria rows shown below it (a snapshot lags a decision by minutes).
    criteria, next_gate = governance.criteria_for(initiative), governance.gate_for(initiative)
    context = {
        "initiative": initiative,
        "stages": _stage_track(initiative),
        "criteria": criteria,
        "readiness": {
            **readiness(criteria),
            "gate": next_gate.label if next_gate else "",
            "evaluated_at": timezone.now(),
        },
        "next_gate": next_gate,
        "open_review": open_review,
        "can_request": editable
        and initiative.is_active
        and open_review is None
        and governance.gate_for(initiative) is not None,
        "editable": editable,
        "roles": _role_rows(assignments),
        "role_form": RoleAssignmentForm(),
        "request_form": ReviewRequestForm(),
        "reviews": reviews,
        "events": describe(AuditEvent.objects.filter(initiative_id=initiative.pk).order_by("-id")[:50]),
        "can_resume": initiative.status == Initiative.Status.ON_HOLD and can_resume(request.user, initiative),
        "resume_form": ResumeForm(),
        "scorecard": latest_scorecard(initiative),
        **tree_context(initiative, request.user),
        **library_context(initiative, request.user),
        **foundation_context(initiative, request.user),
    }
    return render(request, "initiatives/initiative_detail.html", context)


def _stage_track(initiative: Initiative) -> list[dict]:
    current = Stage(initiative.stage).index
    return [
        {"value": s.value, "label": s.label, "state": "done" if i < current else "current" if i == current else "todo"}
        for i, s in enumerate(Stage.ordered())
    ]


def _role_rows(assignments: list[RoleAssignment]) -> list[dict]:
    return [
        {
            "role": role,
            "duty": ROLE_DUTIES[role],
            "accountable": role in ACCOUNTABLE_ROLES,
            "holders": [a for a in assignments if a.role == role],
        }
        for role in Role
    ]


@login_required
def charter_edit(request, slug):
    initiative = get_initiative_for_user(request, slug)
    if not can_edit(request.user, initiative):
        raise PermissionDenied
    form = CharterForm(request.POST or None, instance=initiative.charter)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.update_charter(initiative.pk, acting_user=request.user, **changes)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            initiative.charter.refresh_from_db()
            missing = initiative.charter.missing_fields() + initiative.charter.missing_pilot_theater_answers()
            if missing:
                messages.info(request, f"Draft saved. Still to fill before sign-off: {', '.join(map(str, missing))}.")
            else:
                messages.success(request, "Charter saved and complete.")
            return redirect(initiative)
    return render(request, "initiatives/charter_form.html", {"initiative": initiative, "form": form})


@login_required
@require_POST
def role_assign(request, slug):
    initiative = get_initiative_for_user(request, slug)
    form = RoleAssignmentForm(request.POST)
    if form.is_valid():
        try:
            assignment = services.assign_role(initiative.pk, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            report_error(request, exc)
        else:
            messages.success(request, f"{person_name(assignment.user)} is now {assignment.get_role_display()}.")
    else:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return redirect(initiative)


@login_required
@require_POST
def role_remove(request, slug, assignment_id):
    initiative = get_initiative_for_user(request, slug)
    assignment = get_object_or_404(initiative.role_assignments, pk=assignment_id)
    services.remove_role(assignment.pk, acting_user=request.user)
    messages.success(request, f"{person_name(assignment.user)} no longer holds {assignment.get_role_display()}.")
    return redirect(initiative)


@login_required
@require_POST
def role_accept(request, slug, assignment_id):
    initiative = get_initiative_for_user(request, slug)
    assignment = get_object_or_404(initiative.role_assignments, pk=assignment_id)
    services.accept_role(assignment.pk, acting_user=request.user)
    messages.success(request, f"You accepted the {assignment.get_role_display()} role.")
    return redirect(initiative)


@login_required
@require_POST
def review_request(request, slug):
    initiative = get_initiative_for_user(request, slug)
    form = ReviewRequestForm(request.POST)
    form.is_valid()
    try:
        review = governance.request_review(
            initiative.pk, acting_user=request.user, override_reason=form.cleaned_data.get("override_reason", "")
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(initiative)
    messages.success(request, f"Submitted for {review.get_gate_display()}. Approvers have been notified.")
    return redirect("governance:approval_detail", pk=review.pk)


@login_required
@require_POST
def initiative_resume(request, slug):
    initiative = get_initiative_for_user(request, slug)
    form = ResumeForm(request.POST)
    try:
        governance.resume_initiative(initiative.pk, acting_user=request.user, comment=form.data.get("comment", ""))
    except (TransitionError, ValidationError) as exc:
        report_error(request, exc)
    else:
        messages.success(request, "The initiative is active again.")
    return redirect(initiative)
