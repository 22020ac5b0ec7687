"""The charter gate's KPI criterion and the KPI tree's part of a gate snapshot."""

from governance.criteria import criterion
from governance.snapshots import snapshot_part
from kpis.models import Kpi


@criterion("kpis-leading-lagging")
def leading_and_lagging_kpis(initiative) -> tuple[bool, str]:
    kpis = list(Kpi.objects.filter(initiative=initiative, kind__in=[Kpi.Kind.LEADING, Kpi.Kind.LAGGING]))
    ready = {kind: [k for k in kpis if k.kind == kind and k.has_baseline_and_target] for kind in ("leading", "lagging")}
    missing = [kind for kind, found in ready.items() if not found]
    if missing:
        without = [k.name for k in kpis if k.kind in missing and not k.has_baseline_and_target]
        hint = f" ({', '.join(without[:3])} still need a baseline and target)" if without else ""
        return False, f"Needs a {' and a '.join(missing)} KPI with baseline and target{hint}."
    return True, f"{len(ready['leading'])} leading and {len(ready['lagging'])} lagging KPIs have a baseline and target."


@snapshot_part("kpi_tree")
def kpi_tree_snapshot(initiative) -> dict:
    objective = getattr(initiative, "objective", None)
    kpis = Kpi.objects.filter(initiative=initiative).select_related("driver", "owner").order_by("key")
    return {
        "objective": objective.statement if objective else "",
        "kpis": [
            {
                "key": k.key,
                "name": k.name,
                "driver": k.driver.name,
                "unit": k.unit,
                "kind": k.kind,
                "direction": k.direction,
                "baseline_value": k.baseline_value,
                "baseline_date": k.baseline_date,
                "target_value": k.target_value,
                "target_date": k.target_date,
                "guardrail_bound": k.guardrail_bound,
            }
            for k in kpis
        ],
    }
