from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from governance.errors import TransitionError
from governance.permissions import can_edit, can_edit_kpis
from initiatives.models import LAUNCHED, Initiative
from initiatives.shortcuts import get_initiative_for_user, tab_url
from kpis import charts, services
from kpis.after_action import after_action_review_of
from kpis.forms import AfterActionReviewForm, DriverForm, KpiForm, MeasurementsUploadForm, ObjectiveForm, TemplateForm
from kpis.ingest import BatchRejected, record_measurements
from kpis.models import AfterActionReview, Driver, IngestBatch, Kpi
from opmodel.csvfiles import read_rows
from opmodel.forms import apply_errors, form_page, report_error, save_form

CSV_REQUIRED = ("kpi", "timestamp", "value")  # and optionally source

CHART_POINTS = 2000


def _get_kpi_for_user(request, key) -> Kpi:
    return get_object_or_404(
        Kpi.objects.visible_to(request.user).select_related("initiative", "driver", "owner"), key=key
    )


def _editable_initiative(request, slug) -> Initiative:
    initiative = get_initiative_for_user(request, slug)
    if not can_edit_kpis(request.user, initiative):
        raise PermissionDenied(f"Only {can_edit_kpis.who} may edit its outcome tree.")
    return initiative


def _tree_form_page(request, initiative, form, *, title: str, submit: str):
    """A form of the outcome tree panel that failed, on its own page (opmodel.forms.form_page)."""
    return form_page(request, form, title=title, submit=submit, back=(initiative.title, tab_url(initiative, "tree")))


@login_required
@require_POST
def objective_set(request, slug):
    initiative = _editable_initiative(request, slug)
    form = ObjectiveForm(request.POST)
    if not save_form(form, lambda data: services.set_objective(initiative.pk, acting_user=request.user, **data)):
        return _tree_form_page(request, initiative, form, title="Set the objective", submit="Save objective")
    return redirect(tab_url(initiative, "tree"))


@login_required
@require_POST
def driver_add(request, slug):
    initiative = _editable_initiative(request, slug)
    form = DriverForm(request.POST)
    driver = save_form(form, lambda data: services.add_driver(initiative.pk, acting_user=request.user, **data))
    if not driver:
        return _tree_form_page(request, initiative, form, title="Add a driver", submit="Add driver")
    messages.success(request, f"Driver “{driver.name}” added. Now add its KPIs.")
    return redirect(tab_url(initiative, "tree"))


@login_required
@require_POST
def driver_remove(request, slug, driver_id):
    initiative = _editable_initiative(request, slug)
    driver = get_object_or_404(Driver, pk=driver_id, objective__initiative=initiative)
    try:
        services.remove_driver(driver.pk, acting_user=request.user)
    except ValidationError as exc:
        report_error(request, exc)
    return redirect(tab_url(initiative, "tree"))


@login_required
@require_POST
def template_apply(request, slug):
    initiative = _editable_initiative(request, slug)
    form = TemplateForm(request.POST)
    if not form.is_valid():
        return _tree_form_page(request, initiative, form, title="Start from a template", submit="Apply template")
    created = services.apply_template(initiative.pk, acting_user=request.user, template=form.cleaned_data["template"])
    messages.success(request, f"Added {len(created)} KPIs from the template. Fill in their baselines and targets.")
    return redirect(tab_url(initiative, "tree"))


@login_required
def kpi_create(request, slug):
    initiative = _editable_initiative(request, slug)
    if not Driver.objects.filter(objective__initiative=initiative).exists():
        messages.info(request, "Add an operational driver first: KPIs hang under drivers.")
        return redirect(tab_url(initiative, "tree"))
    form = KpiForm(request.POST or None, initiative=initiative, initial={"driver": request.GET.get("driver")})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            kpi = services.add_kpi(initiative.pk, acting_user=request.user, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"KPI “{kpi.name}” added.")
            return redirect(tab_url(initiative, "tree"))
    return render(request, "kpis/kpi_form.html", {"form": form, "initiative": initiative})


@login_required
def kpi_edit(request, key):
    kpi = _get_kpi_for_user(request, key)
    initiative = _editable_initiative(request, kpi.initiative.slug)
    form = KpiForm(request.POST or None, instance=Kpi.objects.get(pk=kpi.pk), initiative=initiative)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "key"}
        try:
            services.update_kpi(kpi.pk, acting_user=request.user, **changes)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"KPI “{form.cleaned_data['name']}” saved.")
            return redirect(tab_url(initiative, "tree"))
    return render(request, "kpis/kpi_form.html", {"form": form, "initiative": initiative, "kpi": kpi})


@login_required
@require_POST
def kpi_move(request, key):
    kpi = _get_kpi_for_user(request, key)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.move_kpi(kpi.pk, acting_user=request.user, offset=offset)
    return redirect(tab_url(kpi.initiative, "tree"))


@login_required
def kpi_remove(request, key):
    """GET asks first when the KPI has data; POST removes it."""
    kpi = _get_kpi_for_user(request, key)
    initiative = _editable_initiative(request, kpi.initiative.slug)
    points = kpi.measurements.count()
    if request.method == "POST":
        try:
            services.remove_kpi(kpi.pk, acting_user=request.user, confirmed=request.POST.get("confirm") == "yes")
        except services.NeedsConfirmation:
            return render(request, "kpis/kpi_confirm_remove.html", {"kpi": kpi, "points": points})
        messages.success(request, f"KPI “{kpi.name}” removed.")
        return redirect(tab_url(initiative, "tree"))
    return render(request, "kpis/kpi_confirm_remove.html", {"kpi": kpi, "points": points})


@login_required
def kpi_detail(request, key):
    kpi = _get_kpi_for_user(request, key)
    recent = list(
        kpi.measurements.order_by("-timestamp", "source").values("timestamp", "value", "source")[:CHART_POINTS]
    )
    recent.reverse()
    context = {
        "kpi": kpi,
        "figure": charts.kpi_trend(kpi, recent),
        "facts": charts.trend_facts(kpi, recent),
        "latest": recent[-20:][::-1],
        "points": len(recent),
        "editable": can_edit_kpis(request.user, kpi.initiative),
        "upload_form": MeasurementsUploadForm(),
    }
    return render(request, "kpis/kpi_detail.html", context)


@login_required
def measurements_upload(request, slug):
    """CSV upload for teams without a pipeline: the same validation and errors as the API, per line."""
    initiative = get_initiative_for_user(request, slug)
    form = MeasurementsUploadForm(request.POST or None, request.FILES or None)
    context = {"initiative": initiative, "form": form, "line_errors": [], "result": None}
    if request.method == "POST" and form.is_valid():
        items, problem = read_rows(form.cleaned_data["file"], required=CSV_REQUIRED, columns=CSV_REQUIRED)
        if problem:
            form.add_error("file", problem)
        else:
            try:
                context["result"] = record_measurements(
                    items, acting_user=request.user, channel=IngestBatch.Channel.CSV
                )
            except BatchRejected as rejected:
                form.add_error("file", rejected.detail)
                # Line 1 is the header, so item i is on line i + 2.
                context["line_errors"] = [
                    {**e, "line": e["index"] + 2 if "index" in e else None} for e in rejected.errors
                ]
    return render(request, "kpis/measurements_upload.html", context)


@login_required
def after_action_review(request, slug):
    """Write or rewrite the initiative's after-action review (the scale-out gate asks for it)."""
    initiative = get_initiative_for_user(request, slug)
    if not can_edit(request.user, initiative):
        raise PermissionDenied(f"Only {can_edit.who} may write its after-action review.")
    review = after_action_review_of(initiative)
    instance = review or AfterActionReview(initiative=initiative)
    form = AfterActionReviewForm(request.POST or None, instance=instance, initiative=initiative)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_after_action_review(initiative.pk, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "After-action review saved.")
            return redirect(tab_url(initiative, "tree") + "#after-action-review")
    context = {
        "initiative": initiative,
        "form": form,
        "review": review,
        "launched": initiative.stage in LAUNCHED,
    }
    return render(request, "kpis/after_action_review_form.html", context)
