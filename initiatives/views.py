from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance import services as governance
from governance.errors import TransitionError
from governance.permissions import can_edit
from governance.reviews import approval_inbox, page_of_reviews
from initiatives import plan, services
from initiatives.forms import CharterForm, InitiativeForm, ResumeForm, ReviewRequestForm, RoleAssignmentForm
from initiatives.models import Initiative, Stage
from initiatives.people import person_name
from initiatives.shortcuts import get_initiative_for_user
from initiatives.tabs import tab_links, tab_named
from kpis.scorecards import stale_kpis_owned_by
from opmodel.forms import apply_errors, form_page, report_error, save_form


@login_required
def home(request):
    mine = (
        Initiative.objects.visible_to(request.user)
        .filter(role_assignments__user=request.user)
        .distinct()
        .order_by("stage", "title", "id")
    )
    awaiting = approval_inbox(request.user).awaiting
    context = {
        "awaiting": page_of_reviews(awaiting, request.GET.get("reviews_page"), per_page=10),
        "initiatives": Paginator(mine, 25).get_page(request.GET.get("initiatives_page")),
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
    tab = tab_named(request.GET.get("tab"))
    editable = can_edit(request.user, initiative)
    context = {
        "initiative": initiative,
        "stages": _stage_track(initiative),
        "editable": editable,
        "tab": tab,
        "tabs": tab_links(initiative, tab),
        **tab.build(request, initiative, editable),
    }
    return render(request, "initiatives/initiative_detail.html", context)


def _stage_track(initiative: Initiative) -> list[dict]:
    """The five stages, each with its state and the 90-day-plan milestone it closes (initiatives.plan)."""
    current = Stage(initiative.stage).index
    closes = {row.milestone.reached.index - 1: row for row in plan.timeline(initiative, timezone.localdate())}
    return [
        {
            "value": s.value,
            "label": s.label,
            "state": "done" if i < current else "current" if i == current else "todo",
            "milestone": closes.get(i),
        }
        for i, s in enumerate(Stage.ordered())
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
    assignment = save_form(form, lambda data: services.assign_role(initiative.pk, acting_user=request.user, **data))
    if not assignment:
        back = (initiative.title, initiative.get_absolute_url() + "#roles")
        return form_page(request, form, title="Assign a role", submit="Assign role", back=back)
    messages.success(request, f"{person_name(assignment.user)} is now {assignment.get_role_display()}.")
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
    if not form.is_valid():  # an override reason over its limit
        back = (initiative.title, initiative.get_absolute_url())
        return form_page(request, form, title="Submit for approval", submit="Submit for approval", back=back)
    try:
        review = governance.request_review(
            initiative.pk, acting_user=request.user, override_reason=form.cleaned_data["override_reason"]
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
