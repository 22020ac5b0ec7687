"""The foundation-ready gate's criteria, from the initiative's controls and data sources.

Each SQL condition reads the recompute's facts (kpis/scorecard_sql.py: its controls and sources).
"""

from governance.criteria import criterion
from governance.foundation.services import MUST_BE_IN_PLACE, control_rows
from governance.models import Gate, InitiativeControl, Layer


@criterion(
    "foundation-controls",
    "Every foundation layer has its controls in place or waived with a reason",
    gate=Gate.FOUNDATION_READY,
    order=1,
    sql="f.controls_missing = 0",
)
def foundation_controls(initiative) -> tuple[bool, str]:
    gaps = {
        layer: [r.control.name for r in rows if r.status == InitiativeControl.Status.MISSING]
        for layer, rows in control_rows(initiative).items()
    }
    open_layers = [f"{Layer(layer).label}: {', '.join(names)}" for layer, names in gaps.items() if names]
    if open_layers:
        return False, "Missing controls. " + " · ".join(open_layers)
    return True, "Every layer's controls are in place or waived with a reason."


@criterion(
    "data-sources-classified",
    "Every data source classified, with an owner and a freshness SLA",
    gate=Gate.FOUNDATION_READY,
    order=2,
    sql="f.sources > 0 AND f.sources_incomplete = 0",
)
def data_sources_classified(initiative) -> tuple[bool, str]:
    sources = list(initiative.data_sources.all())
    if not sources:
        return False, "No data source recorded: what data does the initiative depend on?"
    gaps = [f"{s.name} (no {', '.join(s.gaps())})" for s in sources if s.gaps()]
    if gaps:
        return False, "Incomplete: " + "; ".join(gaps)
    return True, f"{len(sources)} data source(s), each classified with an owner and a freshness SLA."


@criterion(
    "review-escalation-rollback",
    "Human review, escalation and rollback defined",
    gate=Gate.FOUNDATION_READY,
    order=3,
    sql="f.must_controls_missing = 0",
)
def review_escalation_rollback(initiative) -> tuple[bool, str]:
    rows = {r.control.key: r for layer in control_rows(initiative).values() for r in layer}
    missing = [
        rows[k].control.name
        for k in MUST_BE_IN_PLACE
        if k in rows and rows[k].status != InitiativeControl.Status.IN_PLACE
    ]
    if missing:
        return False, f"Not in place (a waiver does not do here): {', '.join(missing)}."
    return True, "Human review, escalation and rollback are in place."
