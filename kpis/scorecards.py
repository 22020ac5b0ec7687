"""Scorecards: each KPI against its baseline and target, the initiative's health, value and cost,
and the framework's failure modes.

The scheduled recompute states the rules as one set-based SQL statement (`kpis/scorecard_sql.py`).
This module scores one KPI in Python (`score_kpi`, which gate criteria read) and presents stored
snapshots: they keep figures, and `present()` adds the prose (reasons, labels) when one is read.
`tests/scorecards.py` states the rest of the rules in Python, the reference the rule tests exercise
rule by rule, and `tests/test_scorecard_sql.py` proves the SQL agrees with it.

Rules (README.md, "Scorecards", explains them to leaders):
- progress = (latest − baseline) / (target − baseline), so it respects the KPI's direction;
  expected = share of the time from baseline date to target date that has passed.
- A lagging or leading KPI is green when it met its target or trails the expected progress by at
  most SCORECARD_AMBER_GAP, amber up to SCORECARD_RED_GAP, red beyond; no-data without a
  measurement, a baseline or a target; red whenever it moved away from its target (progress < 0).
- A guardrail is green inside its bound and red outside it.
- A KPI is stale when its latest point is older than two periods of its cadence.
- Health is the weakest status among lagging and guardrail KPIs that have data; confidence is
  stale when any of them is stale or has no data.
- Failure-mode flags are raised on active initiatives only (none on killed or on-hold ones).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from governance import criteria
from governance.gates import Gate
from governance.models import GateReview
from initiatives import plan
from initiatives.models import LAUNCHED, Role, Stage
from kpis import telemetry
from kpis.models import FLAG_LABELS, Kpi, Scorecard
from opmodel.compat import UTC

GREEN, AMBER, RED, NO_DATA = "green", "amber", "red", "no-data"
CADENCE_PERIOD = {
    Kpi.Cadence.DAILY: timedelta(days=1),
    Kpi.Cadence.WEEKLY: timedelta(days=7),
    Kpi.Cadence.MONTHLY: timedelta(days=31),
}


def is_stale(kpi: Kpi, now: datetime) -> bool:
    """No point for two periods of the KPI's cadence. `kpi` carries latest_at (see KpiQuerySet.with_latest_values)."""
    return kpi.latest_at is None or now - kpi.latest_at > 2 * CADENCE_PERIOD[kpi.cadence]


def stale_kpis_owned_by(user) -> list[Kpi]:
    """The user's KPIs on active, launched initiatives that have gone stale (one query)."""
    now = timezone.now()
    kpis = (
        Kpi.objects.on_launched_initiatives()
        .filter(owner=user)
        .select_related("initiative")
        .order_by("initiative__title", "position")
        .with_latest_values()
    )
    return [k for k in kpis if is_stale(k, now)]


def kpis_with_latest(initiative) -> list[Kpi]:
    """The initiative's KPIs with latest_value/latest_at, from the prefetch when there is one."""
    cached = getattr(initiative, "_prefetched_objects_cache", {}).get("kpis")
    if cached is not None and (not cached or hasattr(cached[0], "latest_value")):
        return list(cached)
    return list(Kpi.objects.filter(initiative=initiative).order_by("position", "id").with_latest_values())


def cohort_shares(kpis) -> dict[str, float | None]:
    """Adoption by cohort: each cohort's share of the target cohort (%), the newest point of the KPI marked with
    it (None when it has none yet), in Kpi.Cohort order; empty when no KPI is marked with a cohort.
    `kpis` carry latest_value (with_latest_values), or are a snapshot's presented rows."""
    shares: dict[str, float | None] = {}
    for kpi in kpis:
        cohort = kpi["cohort"] if isinstance(kpi, dict) else kpi.cohort
        value = kpi["latest_value"] if isinstance(kpi, dict) else kpi.latest_value
        if cohort:
            known = [v for v in (shares.get(cohort), value) if v is not None]
            shares[cohort] = max(known, default=None)  # one KPI per cohort (Kpi.clean); as the recompute, if not
    if not shares:
        return {}
    return {cohort.value: shares.get(cohort.value) for cohort in Kpi.Cohort}


def launched_at(initiative) -> datetime | None:
    """When the initiative entered measure-impact (its launch), if it has."""
    if initiative.stage not in LAUNCHED:
        return None
    approvals = [
        r.closed_at
        for r in initiative.gate_reviews.all()
        if r.to_stage == Stage.MEASURE_IMPACT and r.status == GateReview.Status.APPROVED and r.closed_at
    ]
    return max(approvals, default=initiative.stage_entered_at)


@dataclass(frozen=True)
class KpiScore:
    kpi_id: int | None
    position: int
    key: str
    name: str
    kind: str
    unit: str
    direction: str
    status: str
    reason: str
    stale: bool
    latest_value: float | None
    latest_at: datetime | None
    baseline_value: float | None
    target_value: float | None
    guardrail_bound: float | None
    progress: float | None
    expected: float | None


def score_kpi(kpi: Kpi, now: datetime) -> KpiScore:
    latest = kpi.latest_value
    stale = is_stale(kpi, now)
    progress = expected = None
    if latest is None:
        status = NO_DATA
    elif kpi.kind == Kpi.Kind.GUARDRAIL:
        status = GREEN if _inside_bound(kpi, latest) else RED
    elif not kpi.has_baseline_and_target or kpi.target_value == kpi.baseline_value:
        status = NO_DATA
    else:
        progress = (latest - kpi.baseline_value) / (kpi.target_value - kpi.baseline_value)
        expected = _expected_progress(kpi, now)
        status = _progress_status(progress, expected)
    return KpiScore(
        kpi_id=kpi.pk,
        position=kpi.position,
        key=kpi.key,
        name=kpi.name,
        kind=kpi.kind,
        unit=kpi.unit,
        direction=kpi.direction,
        status=status,
        reason=explain(
            kpi,
            status=status,
            stale=stale,
            latest=latest,
            latest_at=kpi.latest_at,
            progress=progress,
            expected=expected,
        ),
        stale=stale,
        latest_value=latest,
        latest_at=kpi.latest_at,
        baseline_value=kpi.baseline_value,
        target_value=kpi.target_value,
        guardrail_bound=kpi.guardrail_bound,
        progress=progress,
        expected=expected,
    )


def _inside_bound(kpi: Kpi, latest: float) -> bool:
    return latest <= kpi.guardrail_bound if kpi.direction == Kpi.Direction.DECREASE else latest >= kpi.guardrail_bound


def _expected_progress(kpi: Kpi, now: datetime) -> float:
    span = (kpi.target_date - kpi.baseline_date).days
    elapsed = (now.date() - kpi.baseline_date).days
    return min(1.0, max(0.0, elapsed / span)) if span > 0 else 1.0


def _progress_status(progress: float, expected: float) -> str:
    gap = expected - progress
    if progress < 0:
        return RED
    if progress >= 1 or gap <= settings.SCORECARD_AMBER_GAP:
        return GREEN
    if gap <= settings.SCORECARD_RED_GAP:
        return AMBER
    return RED


def explain(kpi: Kpi, *, status: str, stale: bool, latest, latest_at, progress, expected) -> str:
    """Why a KPI has its status, in a leader's words, from its scored figures."""
    if latest is None:
        return "No measurement yet."
    if kpi.kind == Kpi.Kind.GUARDRAIL:
        side = "at most" if kpi.direction == Kpi.Direction.DECREASE else "at least"
        verdict = "within" if status == GREEN else "outside"
        reason = f"{latest:g} {kpi.unit} is {verdict} its bound ({side} {kpi.guardrail_bound:g})."
    elif progress is None:
        reason = "No baseline and target to measure against."
    else:
        # + 0.0: no progress on a decreasing KPI is -0.0, which would read "-0 %".
        reason = f"{progress + 0.0:.0%} of the way from baseline to target; {expected:.0%} expected by today."
        if progress < 0:
            reason += " It moved away from the target."
    if stale:
        reason += f" Stale: no {kpi.get_cadence_display().lower()} point since {latest_at:%d %b %Y}."
    return reason


def flag_reason(flag: dict, kpi_names: dict[int, str]) -> str:
    """A stored flag in words; `kpi_names` names the KPIs a stale-data flag lists, in display order."""
    match flag["code"], flag:
        case "pilot-theater", {"days": int(days)}:
            return f"{days} days since start and still before launch."
        case "pilot-theater", _:
            return "Launched, but no KPI has a measurement since launch."
        case "no-scale-owner", _:
            return "Launched without an AI service owner."
        case "stale-data", {"kpis": ids}:
            names = [name for pk, name in kpi_names.items() if pk in set(ids)]
            return f"No recent data for {', '.join(names[:3])}."
        case "approval-overdue", {"gate": gate, "days": days}:
            return f"{Gate(gate).label} is {days} day(s) past its due date."
        case "behind-plan", {"day": day, "days": days} if day in plan.BY_DAY:
            return f"Day {day} milestone ({plan.BY_DAY[day].label.lower()}) is {days} day(s) past its date."
        case "cost-rising" | "drift-rising", {"kpi": kpi, "rise": rise, "points": points}:
            name = kpi_names.get(kpi, "A KPI")
            return f"{name} up {rise} % over its last {points} points (fitted trend)."
    return flag.get("label", flag["code"])


def latest_scorecard(initiative):
    """The initiative's newest snapshot, ready to show (see present), or None before the first recompute."""
    card = initiative.scorecards.newest_first().first()
    return present(card) if card else None


_FLAG_ORDER = {code: n for n, code in enumerate(FLAG_LABELS)}
_ROLE_ORDER = {role.value: n for n, role in enumerate(Role)}


def present(card):
    """Give a stored snapshot its prose, in display order, with one query for its KPIs: each KPI row its
    name, unit, kind, cohort and reason (from the KPI as it is now; a removed KPI keeps its key), each flag its
    reason, each criterion its label; and the cohort mix its KPI rows hold (cohort_shares). Returns the same,
    unsaved, object."""
    criteria_order = {c.key: n for n, c in enumerate(criteria.registered())}
    stored = card.kpi_rows()
    by_id = Kpi.objects.in_bulk([row["kpi"] for row in stored])
    rows = []
    for row in stored:
        kpi = by_id.get(row["kpi"])
        figures = {**row, "stale": bool(row["stale"]), "latest_at": _as_datetime(row["latest_at"])}
        reason = ""
        if kpi is not None:
            reason = explain(
                kpi,
                status=row["status"],
                stale=figures["stale"],
                latest=row["latest_value"],
                latest_at=figures["latest_at"],
                progress=row["progress"],
                expected=row["expected"],
            )
        rows.append(
            {
                **figures,
                "name": kpi.name if kpi else row["key"],
                "unit": kpi.unit if kpi else "",
                "kind": kpi.kind if kpi else "",
                "kind_label": kpi.get_kind_display() if kpi else "",
                "status_label": Scorecard.Health(row["status"]).label,
                "direction": kpi.direction if kpi else "",
                "baseline_value": kpi.baseline_value if kpi else None,
                "target_value": kpi.target_value if kpi else None,
                "guardrail_bound": kpi.guardrail_bound if kpi else None,
                "cohort": kpi.cohort if kpi else "",
                "reason": reason,
            }
        )
    names = {row["kpi"]: row["name"] for row in rows}
    card.kpis = rows
    card.cohort_mix = [
        {"cohort": cohort, "label": Kpi.Cohort(cohort).label, "share": share}
        for cohort, share in cohort_shares(rows).items()
    ]
    card.flags = [
        # A snapshot from before figures-only flags carries its reason already.
        {**flag, **_in_display_order(flag, names), "reason": flag.get("reason") or flag_reason(flag, names)}
        for flag in sorted(card.flags, key=lambda f: _FLAG_ORDER.get(f["code"], len(_FLAG_ORDER)))
    ]
    card.criteria = [
        {**c, "label": criteria.label(c["key"])}
        for c in sorted(card.criteria, key=lambda c: criteria_order.get(c["key"], len(criteria_order)))
    ]
    card.missing_roles = sorted(card.missing_roles, key=lambda role: _ROLE_ORDER.get(role, len(_ROLE_ORDER)))
    figures = card.telemetry or {}
    if figures:  # the KPIs behind platform health and adoption, by their keys and their categories now
        known = [row for row in rows if row["status"] != NO_DATA]
        figures["platform_kpis"] = [row["kpi"] for row in known if telemetry.is_platform(row["key"])]
        adoption = [
            row for row in known if by_id.get(row["kpi"]) and by_id[row["kpi"]].category == Kpi.Category.ADOPTION
        ]
        figures["adoption_kpis"] = [row["kpi"] for row in adoption]
    card.diagnosis_reasons = telemetry.reasons(figures, rows)
    card.cost_assumptions = telemetry.cost_assumptions(card, rows)
    card.telemetry = figures or None  # a snapshot from before diagnoses has none
    return card


def _in_display_order(flag: dict, kpi_names: dict[int, str]) -> dict:
    if "kpis" not in flag:
        return {}
    listed = set(flag["kpis"])
    return {"kpis": [pk for pk in kpi_names if pk in listed]}


def _as_datetime(value) -> datetime | None:
    """A snapshot's timestamp as PostgreSQL (ISO 8601 with offset) or SQLite (naive UTC) wrote it."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)
