"""Pieces of other apps' pages that show KPI data: the outcome tree panel of the initiative page."""

from django.db.models import Count, Max, Prefetch

from governance.permissions import can_edit_kpis
from initiatives.models import Initiative
from kpis.forms import DriverForm, ObjectiveForm, TemplateForm
from kpis.models import Kpi, Objective


def tree_context(initiative: Initiative, user) -> dict:
    """The outcome tree panel of the initiative page: objective → drivers → KPIs, with point counts."""
    objective = Objective.objects.filter(initiative=initiative).first()
    drivers = []
    if objective:
        kpis = (
            Kpi.objects.filter(initiative=initiative)
            .annotate(points=Count("measurements"), last_at=Max("measurements__timestamp"))
            .select_related("owner")
        )
        drivers = objective.drivers.prefetch_related(Prefetch("kpis", queryset=kpis.order_by("position", "id")))
    editable = can_edit_kpis(user, initiative)
    return {
        "objective": objective,
        "drivers": drivers,
        "tree_editable": editable,
        "driver_form": DriverForm(),
        "objective_form": ObjectiveForm(
            initial={"statement": objective.statement if objective else initiative.charter.outcome_statement}
        ),
        "template_form": TemplateForm(),
    }
