"""Step two pages: an initiative's foundation, its one-page control model, a review's evidence and checklist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from governance import services
from governance.foundation import evidence
from governance.foundation import services as foundation
from governance.foundation.forms import (
    ControlForm,
    DataSourceForm,
    LinkDataSourceForm,
    RaiseRiskTierForm,
)
from governance.foundation.panels import control_counts
from governance.models import DataSource, GatePolicy, GateReview, InitiativeControl
from governance.permissions import can_change_risk_tier, can_manage_data_sources, can_set_control
from initiatives.models import Initiative, Role
from initiatives.shortcuts import get_initiative_for_user
from opmodel.forms import save_form

STATUS_LABELS = dict(InitiativeControl.Status.choices)


def _next_gate_approvers(initiative: Initiative) -> list[str]:
    gate = services.gate_for(initiative)
    policy = GatePolicy.objects.current(gate, initiative.risk_tier) if gate else None
    return [" or ".join(Role(r).label for r in slot) for slot in policy.approver_slots] if policy else []


def _missing_only(request) -> bool:
    return request.GET.get("missing") == "1"


def _control_layers(request, initiative: Initiative, bound: dict) -> list[dict]:
    """Each layer with its counts and its controls (only the missing ones with ?missing=1).

    A layer is open when something in it needs doing: a missing control, or a form that came back
    with errors; the others fold to their progress bar, so the page is as long as the work left.
    """
    layers = []
    rows_by_layer = foundation.measured_control_rows(initiative)
    for info in foundation.layer_summary():
        rows = rows_by_layer[info["layer"]]
        shown = [r for r in rows if r.status == InitiativeControl.Status.MISSING] if _missing_only(request) else rows
        controls = [_control(request, initiative, row, bound) for row in shown]
        counts = control_counts(rows)
        has_errors = any(c["form"] is not None and c["form"].errors for c in controls)
        layers.append({**info, **counts, "rows": controls, "open": bool(counts["missing"]) or has_errors})
    return layers


def _control(request, initiative: Initiative, row, bound: dict) -> dict:
    key = row.control.key
    initial = {"status": row.status, "evidence": row.evidence, "waiver_reason": row.waiver_reason}
    form = bound.get(f"control:{key}") or ControlForm(prefix=key, initial=initial)
    editable = can_set_control(request.user, initiative, row.control)
    return {"row": row, "form": form if editable else None, "status_label": STATUS_LABELS[row.status]}


def _page_context(request, initiative: Initiative, bound: dict) -> dict:
    """Every form of the page, unbound unless the one just posted came back with errors (`bound`)."""
    user = request.user
    layers = _control_layers(request, initiative, bound)
    overall = {name: sum(layer[name] for layer in layers) for name in ("in_place", "waived", "missing", "total")}
    sources = list(initiative.data_sources.select_related("owner"))
    may_manage_sources = can_manage_data_sources(user, initiative)
    for source in sources:
        source.form = bound.get(f"source:{source.pk}") or DataSourceForm(instance=source, prefix=f"source-{source.pk}")
    return {
        "initiative": initiative,
        "layers": layers,
        "overall": overall,
        "missing_only": _missing_only(request),
        "sources": sources,
        "may_manage_sources": may_manage_sources,
        "source_form": bound.get("add-source") or DataSourceForm(prefix="new"),
        "link_form": bound.get("link-source") or LinkDataSourceForm(initiative=initiative, user=user),
        "may_raise": can_change_risk_tier(user, initiative),
        "tier_form": bound.get("raise-tier") or RaiseRiskTierForm(initial={"risk_tier": "high"}),
        "next_gate": services.gate_for(initiative),
        "next_gate_approvers": _next_gate_approvers(initiative),
    }


@login_required
def foundation_page(request, slug):
    initiative = get_initiative_for_user(request, slug)
    bound = {}
    if request.method == "POST":
        handler = POST_ACTIONS.get(request.POST.get("action", ""))
        if handler is None:
            messages.error(request, "Unknown action.")
            return redirect("governance:foundation", slug=initiative.slug)
        try:
            key, form, done = handler(request, initiative)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or "You may not change this.")
            return redirect("governance:foundation", slug=initiative.slug)
        if done:
            messages.success(request, done)
            return redirect(_saved_url(request, initiative, key))
        bound[key] = form  # shown again with its error summary, which takes focus (static/js/forms.js)
        initiative = get_initiative_for_user(request, slug)
    return render(request, "governance/foundation.html", _page_context(request, initiative, bound))


def _saved_url(request, initiative: Initiative, saved: str) -> str:
    """The page again, with the filter it was posted from, at the control just saved (the browser opens its
    folded layer to show it)."""
    url = reverse("governance:foundation", args=[initiative.slug]) + ("?missing=1" if _missing_only(request) else "")
    kind, _, key = saved.partition(":")
    return url + (f"#control-{key}" if kind == "control" else "")


def _post_control(request, initiative):
    key = request.POST.get("control", "")
    form = ControlForm(request.POST, prefix=key)

    def write(data):
        record = foundation.set_control(initiative.pk, acting_user=request.user, control_key=key, **data)
        return f"{record.control.name}: {record.get_status_display().lower()}."

    return f"control:{key}", form, save_form(form, write)


def _post_add_source(request, initiative):
    form = DataSourceForm(request.POST, prefix="new")

    def write(data):
        source = foundation.save_data_source(initiative.pk, acting_user=request.user, **data)
        return f"Data source “{source.name}” added."

    return "add-source", form, save_form(form, write)


def _post_edit_source(request, initiative):
    source = get_object_or_404(initiative.data_sources, pk=request.POST.get("source"))
    form = DataSourceForm(request.POST, instance=source, prefix=f"source-{source.pk}")

    def write(data):
        # The form changed `source` in place while validating; the service compares against the stored row.
        stored = DataSource.objects.get(pk=source.pk)
        saved = foundation.save_data_source(initiative.pk, acting_user=request.user, source=stored, **data)
        return f"Data source “{saved.name}” saved."

    return f"source:{source.pk}", form, save_form(form, write)


def _post_link_source(request, initiative):
    form = LinkDataSourceForm(request.POST, initiative=initiative, user=request.user)

    def write(data):
        foundation.link_data_source(initiative.pk, acting_user=request.user, source=data["source"])
        return f"This initiative now uses “{data['source'].name}”."

    return "link-source", form, save_form(form, write)


def _post_raise_tier(request, initiative):
    form = RaiseRiskTierForm(request.POST)

    def write(data):
        raised = foundation.raise_risk_tier(
            initiative.pk, acting_user=request.user, tier=data["risk_tier"], reason=data["reason"]
        )
        return f"Risk tier raised to {raised.get_risk_tier_display().lower()}."

    return "raise-tier", form, save_form(form, write)


POST_ACTIONS = {
    "control": _post_control,
    "add-source": _post_add_source,
    "edit-source": _post_edit_source,
    "link-source": _post_link_source,
    "raise-tier": _post_raise_tier,
}


@login_required
def control_model_page(request, slug):
    initiative = get_initiative_for_user(request, slug)
    context = {"initiative": initiative, "model": evidence.control_model(initiative)}
    return render(request, "governance/control_model.html", context)


def _get_review(request, pk):
    return get_object_or_404(GateReview.objects.visible_to(request.user).for_approval_pages(), pk=pk)


@login_required
def evidence_json(request, pk):
    review = _get_review(request, pk)
    response = JsonResponse(evidence.gate_evidence(review), encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="evidence-{review.initiative.slug}-{review.pk}.json"'
    return response


@login_required
def evidence_page(request, pk):
    review = _get_review(request, pk)
    context = {"review": review, "initiative": review.initiative, "evidence": evidence.gate_evidence(review)}
    return render(request, "governance/evidence.html", context)
