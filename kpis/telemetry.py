"""Operational telemetry and the framework's diagnosis (README.md, "Telemetry and diagnosis").

"If platform health is strong but adoption is weak, the bottleneck is likely change management. If
adoption is strong but costs are rising, the next optimization is architecture."

The recompute (kpis/scorecard_sql.py) states these rules in SQL from the constants here, and stores
the levels and figures behind each diagnosis in the snapshot (Scorecard.telemetry); `reasons()` puts
them in words when a scorecard is shown. tests/scorecards.py states them in Python.

- Platform health reads the CTO set's latency, failure rate and guardrail trigger rate (PLATFORM_KPIS,
  by the suffix of their keys): **strong** when at least one has a status and every one that has is
  green (a guardrail inside its bound, any other on track to its target); **weak** when any is amber
  or red; **unknown** when none has a status.
- Adoption reads every KPI of the Adoption category the same way: strong, weak or unknown.
- Cost reads the steepest trend of the cost-per-request KPIs (COST_KPIS): over each one's last
  TREND_POINTS points (at least TREND_MIN_POINTS, spread over time), the least-squares slope per day
  times the days they span is the fitted rise; **rising** when it exceeds TREND_RISE of their mean,
  **steady** otherwise, **unknown** without such a trend. Drift KPIs (DRIFT_KPIS) follow the same rule.
- The diagnosis is the first of DIAGNOSIS_RULES whose levels all hold, else "not enough data".
"""

from django.conf import settings

from kpis.models import Scorecard

STRONG, WEAK, UNKNOWN = "strong", "weak", "unknown"
RISING, STEADY = "rising", "steady"
COST, DRIFT = "cost", "drift"

PLATFORM_KPIS = ("inference-latency", "failure-rate", "guardrail-trigger-rate")
COST_PER_REQUEST, COST_PER_1000 = "cost-per-request", "cost-per-1000-inferences"
COST_KPIS = (COST_PER_REQUEST, COST_PER_1000)
DRIFT_KPIS = ("drift-score",)
TREND_KPIS = {COST: COST_KPIS, DRIFT: DRIFT_KPIS}
TREND_MIN_POINTS = 3

Diagnosis = Scorecard.Diagnosis
# In order: the first whose levels all hold is the diagnosis.
DIAGNOSIS_RULES = (
    (Diagnosis.ARCHITECTURE, {"adoption": STRONG, "cost": RISING}),
    (Diagnosis.CHANGE_MANAGEMENT, {"platform": STRONG, "adoption": WEAK}),
    (Diagnosis.PLATFORM_HEALTH, {"platform": WEAK}),
    (Diagnosis.ON_TRACK, {"platform": STRONG, "adoption": STRONG}),
)


def suffix(key: str) -> str:
    """What follows a KPI key's first dot: the template's suffix of a key made from a template,
    <initiative>.<suffix> (kpis.services.apply_template); the whole key when it has no dot."""
    return key[key.find(".") + 1 :]


def has_suffix(key: str, template_suffix: str) -> bool:
    return suffix(key) == template_suffix


def is_platform(key: str) -> bool:
    return any(has_suffix(key, suffix) for suffix in PLATFORM_KPIS)


def trend_of(key: str) -> str:
    """COST, DRIFT or "" for a KPI that has no trend rule."""
    return next((trend for trend, suffixes in TREND_KPIS.items() if any(has_suffix(key, s) for s in suffixes)), "")


def level(statuses: list[str]) -> str:
    """Strong, weak or unknown, from the statuses of a group's KPIs (no-data ones do not count)."""
    known = [s for s in statuses if s != Scorecard.Health.NO_DATA]
    if any(s in (Scorecard.Health.AMBER, Scorecard.Health.RED) for s in known):
        return WEAK
    return STRONG if known else UNKNOWN


def fitted_rise(points: list[tuple[float, float]]) -> float | None:
    """The least-squares line through (days, value) points, its rise across the days they span as a share
    of their mean; None for fewer than TREND_MIN_POINTS points, points at one moment, or a mean of 0 or less."""
    n = len(points)
    if n < TREND_MIN_POINTS:
        return None
    xs = [x for x, _ in points]
    sx, sy = sum(xs), sum(y for _, y in points)
    sxy, sxx = sum(x * y for x, y in points), sum(x * x for x in xs)
    spread = n * sxx - sx * sx
    mean = sy / n
    if max(xs) <= min(xs) or mean <= 0 or spread == 0:
        return None
    return (n * sxy - sx * sy) / spread * (max(xs) - min(xs)) / mean


def percent(rise: float) -> int:
    """A positive rise as whole percent, half up (as the SQL writes it)."""
    return int(100 * rise + 0.5)


def cost_level(rise: float | None) -> str:
    if rise is None:
        return UNKNOWN
    return RISING if rise > settings.TREND_RISE else STEADY


def diagnose(levels: dict) -> str:
    """The first of DIAGNOSIS_RULES whose levels all hold; "not enough data" when none does."""
    for diagnosis, needs in DIAGNOSIS_RULES:
        if all(levels.get(name) == wanted for name, wanted in needs.items()):
            return diagnosis.value
    return Diagnosis.NOT_ENOUGH_DATA.value


def _names(rows: list[dict], ids, *, weak: bool | None = None) -> str:
    chosen = [
        r["name"]
        for r in rows
        if r["kpi"] in ids and (weak is None or (r["status"] in (Scorecard.Health.AMBER, Scorecard.Health.RED)) == weak)
    ]
    if len(chosen) <= 1:
        return "".join(chosen)
    return ", ".join(chosen[:-1]) + " and " + chosen[-1]


def reasons(telemetry: dict, rows: list[dict]) -> list[str]:
    """The diagnosis's reasons in words: platform health, adoption and cost, from the stored figures and the
    scorecard's KPI rows (presented: name, status)."""
    if not telemetry:
        return ["Computed before diagnoses were: the next recompute adds one."]
    platform, adoption = set(telemetry.get("platform_kpis", [])), set(telemetry.get("adoption_kpis", []))
    lines = []
    match telemetry.get("platform"):
        case "strong":
            lines.append(f"Platform health strong: {_names(rows, platform)} in bounds.")
        case "weak":
            lines.append(f"Platform health weak: {_names(rows, platform, weak=True)} out of bounds or behind plan.")
        case _:
            lines.append("Platform health unknown: latency, failure rate and guardrail trigger rate have no data yet.")
    match telemetry.get("adoption"):
        case "strong":
            lines.append(f"Adoption strong: {_names(rows, adoption)} on track.")
        case "weak":
            lines.append(f"Adoption weak: {_names(rows, adoption, weak=True)} behind plan.")
        case _:
            lines.append("Adoption unknown: no Adoption KPI with a baseline, a target and data yet.")
    cost_kpi = _names(rows, {telemetry.get("cost_kpi")}) or "Cost per request"
    match telemetry.get("cost"):
        case "rising":
            lines.append(
                f"Cost rising: {cost_kpi} up {telemetry.get('cost_rise')} % over its last "
                f"{telemetry.get('cost_points')} points (fitted trend; more than {settings.TREND_RISE:.0%} raises it)."
            )
        case "steady":
            lines.append(f"Cost steady: {cost_kpi} not rising over its last {telemetry.get('cost_points')} points.")
        case _:
            lines.append(f"Cost trend unknown: fewer than {TREND_MIN_POINTS} points of cost per request.")
    return lines


def cost_assumptions(card, rows: list[dict]) -> list[str]:
    """What the scale-out cost projection assumes, in words: where the cost per transaction comes from (a
    measured cost KPI, else the charter's estimate) and the volume it is multiplied by."""
    if card.cost_per_transaction is None:
        return ["No cost per transaction: neither a cost KPI with data nor the charter's cost per 1,000 inferences."]
    if card.cost_source == Scorecard.CostSource.MEASURED:
        measured = [r for r in rows if r["latest_value"] is not None and has_suffix(r["key"], COST_PER_REQUEST)]
        per_thousand = [r for r in rows if r["latest_value"] is not None and has_suffix(r["key"], COST_PER_1000)]
        row, divided = (measured[0], "") if measured else (per_thousand[0] if per_thousand else None, " ÷ 1,000")
        source = "measured" if row is None else f"measured: the latest point of {row['name']}{divided}"
        if row is not None and row["latest_at"]:
            source += f" ({row['latest_at']:%d %b %Y})"
    else:
        source = "the charter's estimate (cost per 1,000 inferences ÷ 1,000); no cost KPI has data yet"
    lines = [f"Cost per transaction: {source}."]
    if card.monthly_cost is not None and card.cost_per_transaction:
        volume = round(card.monthly_cost / card.cost_per_transaction)
        lines.append(
            f"Volume: the charter's expected {volume:,} transactions a month; at 2× volume the cost per "
            "transaction is assumed unchanged."
        )
    else:
        lines.append("Volume: the charter has no expected monthly volume, so no monthly cost is projected.")
    return lines
