"""Pieces of other apps' pages that show KPI data: the outcome tree panel of the initiative page."""

from django.db.models import Count, Max, Prefetch

from governance.permissions import can_edit, can_edit_kpis
from initiatives.models import LAUNCHED, Initiative
from kpis.after_action import after_action_evidence
from kpis.charts import cohort_mix, kpi_trend, sampled_points, trend_facts
from kpis.forms import DriverForm, ObjectiveForm, TemplateForm
from kpis.models import Kpi, Objective


def tree_context(initiative: Initiative, user) -> dict:
    """The outcome tree panel of the initiative page: objective → drivers → KPIs, with point counts and a
    trend chart per KPI that has points; and adoption by cohort, when KPIs count cohorts."""
    objective = Objective.objects.filter(initiative=initiative).first()
    drivers = []
    if objective:
        kpis = (
            Kpi.objects.filter(initiative=initiative)
            .annotate(points=Count("measurements"), last_at=Max("measurements__timestamp"))
            .select_related("owner")
        )
        drivers = list(objective.drivers.prefetch_related(Prefetch("kpis", queryset=kpis.order_by("position", "id"))))
        _attach_trends(drivers)
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
        "cohort_mix": cohort_mix(initiative),
        "after_action": after_action_evidence(initiative),
        "may_write_after_action": initiative.stage in LAUNCHED and can_edit(user, initiative),
    }


def _attach_trends(drivers: list) -> None:
    """Give each driver the KPIs it charts (`charted`: those with points), each with its figure (`trend`),
    the number of points drawn (`drawn`), the id of the script element that carries the figure and what it
    shows as text (`trend_facts`)."""
    points = sampled_points([kpi for driver in drivers for kpi in driver.kpis.all()])
    for driver in drivers:
        driver.charted = [kpi for kpi in driver.kpis.all() if points.get(kpi.pk)]
        for kpi in driver.charted:
            kpi.trend, kpi.drawn = kpi_trend(kpi, points[kpi.pk], height=260), len(points[kpi.pk])
            kpi.trend_id = f"kpi-trend-{kpi.pk}"
            kpi.trend_facts = trend_facts(kpi, points[kpi.pk])
