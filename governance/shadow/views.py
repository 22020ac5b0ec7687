"""The Shadow AI pages: the register with its filters, recording, editing and triaging an item, CSV import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from governance.models import ShadowAiUse
from governance.permissions import can_manage_shadow_ai
from governance.shadow import services as shadow
from governance.shadow.filters import ShadowAiFilter
from governance.shadow.forms import ImportForm, ShadowAiFilterForm, ShadowAiForm, TriageForm
from governance.shadow.panels import with_users_moved
from opmodel.csvfiles import read_rows
from opmodel.forms import form_page, save_form

PAGE_SIZE = 25


def _check_steward(request) -> None:
    if not can_manage_shadow_ai(request.user):
        raise PermissionDenied(f"The shadow-AI register is for {can_manage_shadow_ai.who}.")


def _get_item(request, pk) -> ShadowAiUse:
    _check_steward(request)
    return get_object_or_404(ShadowAiUse.objects.select_related("initiative", "asset"), pk=pk)


@login_required
def shadow_list(request):
    if not can_manage_shadow_ai(request.user):
        # The top bar links here for everyone: say who keeps the register and whom to tell, show no item.
        return render(request, "governance/shadow_list.html", {"steward": False, "who": can_manage_shadow_ai.who})
    form = ShadowAiFilterForm(request.GET)
    form.is_valid()  # an unknown choice is reported beside its filter and ignored
    items = ShadowAiFilter(form.cleaned_data, queryset=ShadowAiUse.objects.order_by("-updated_at", "-pk")).qs
    page = Paginator(with_users_moved(items.select_related("initiative", "asset", "recorded_by")), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    filtered = any(request.GET.get(name) for name in form.fields)
    context = {"steward": True, "form": form, "page": page, "filtered": filtered}
    return render(request, "governance/shadow_list.html", context)


def _back():
    return ("Shadow AI", reverse("governance:shadow_ai"))


@login_required
def shadow_create(request):
    _check_steward(request)
    form = ShadowAiForm(request.POST or None, user=request.user)
    if request.method == "POST":
        item = save_form(form, lambda data: shadow.record_shadow_use(acting_user=request.user, **data))
        if item:
            messages.success(request, f"Recorded {item}.")
            return redirect("governance:shadow_ai")
    return form_page(request, form, title="Record shadow AI use", submit="Record", back=_back())


@login_required
def shadow_edit(request, pk):
    item = _get_item(request, pk)
    form = ShadowAiForm(request.POST or None, instance=item, user=request.user)

    def write(data):
        return shadow.update_shadow_use(item.pk, acting_user=request.user, **data)

    if request.method == "POST" and save_form(form, write):
        messages.success(request, f"Saved {item}.")
        return redirect("governance:shadow_ai")
    return form_page(request, form, title=f"Edit {item.tool}", submit="Save", back=_back())


@login_required
def shadow_triage(request, pk):
    item = _get_item(request, pk)
    form = TriageForm(request.POST or None, instance=item, user=request.user)
    if request.method == "POST":
        triaged = save_form(form, lambda data: shadow.triage_shadow_use(item.pk, acting_user=request.user, **data))
        if triaged:
            messages.success(request, f"{triaged}: {triaged.get_status_display().lower()}.")
            return redirect("governance:shadow_ai")
    return form_page(request, form, title=f"Triage {item.tool}", submit="Save triage", back=_back())


@login_required
def shadow_import(request):
    """Survey and proxy-log exports: every row is checked first, and one bad row means nothing is imported."""
    _check_steward(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "line_errors": [], "columns": ",".join(shadow.IMPORT_COLUMNS)}
    if request.method == "POST" and form.is_valid():
        rows, problem = read_rows(
            form.cleaned_data["file"], required=shadow.REQUIRED_COLUMNS, columns=shadow.IMPORT_COLUMNS
        )
        if problem:
            form.add_error("file", problem)
        else:
            try:
                created = shadow.import_shadow_uses(rows, acting_user=request.user)
            except shadow.ImportRejected as rejected:
                form.add_error("file", str(rejected))
                context["line_errors"] = rejected.errors
            else:
                messages.success(request, f"Imported {len(created)} item{'s' if len(created) != 1 else ''}.")
                return redirect("governance:shadow_ai")
    return render(request, "governance/shadow_import.html", context)
