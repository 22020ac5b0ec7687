"""Scorecards: each KPI against its baseline and target, the initiative's health, value and cost,
and the framework's failure modes.

This module is the reference statement of the rules, in Python: gate reviews score one initiative
with it, and the rule tests exercise it rule by rule. The scheduled recompute states the same rules
as one set-based SQL statement (`kpis/scorecard_sql.py`); `tests/test_scorecard_sql.py` proves the
two agree. Snapshots store figures; `present()` adds the prose (reasons, labels) when one is read.

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
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from governance.models import Asset, DataSource, GatePolicy, GateReview, InitiativeControl
from initiatives.models import LAUNCHED, Initiative, Role, RoleAssignment, Stage
from kpis.models import Kpi, Measurement, Scorecard
from opmodel.compat import UTC

GREEN, AMBER, RED, NO_DATA = "green", "amber", "red", "no-data"
_RANK = {RED: 0, AMBER: 1, GREEN: 2}
CADENCE_PERIOD = {
    Kpi.Cadence.DAILY: timedelta(days=1),
    Kpi.Cadence.WEEKLY: timedelta(days=7),
    Kpi.Cadence.MONTHLY: timedelta(days=31),
}
FLAG_LABELS = {
    "pilot-theater": "Pilot theater",
    "no-scale-owner": "No scale owner",
    "stale-data": "Stale data",
    "approval-overdue": "Approval overdue",
}


def with_latest_values(kpis):
    """Annotate each KPI with its newest point: one SQL statement for any number of KPIs."""
    newest = Measurement.objects.filter(kpi=OuterRef("pk")).order_by("-timestamp", "source")
    return kpis.annotate(
        latest_value=Subquery(newest.values("value")[:1]),
        latest_at=Subquery(newest.values("timestamp")[:1]),
    )


def is_stale(kpi: Kpi, now: datetime) -> bool:
    """No point for two periods of the KPI's cadence. `kpi` carries latest_at (see with_latest_values)."""
    return kpi.latest_at is None or now - kpi.latest_at > 2 * CADENCE_PERIOD[kpi.cadence]


def stale_kpis_owned_by(user) -> list[Kpi]:
    """The user's KPIs on active, launched initiatives that have gone stale (one query)."""
    now = timezone.now()
    kpis = with_latest_values(
        Kpi.objects.on_launched_initiatives()
        .filter(owner=user)
        .select_related("initiative")
        .order_by("initiative__title", "position")
    )
    return [k for k in kpis if is_stale(k, now)]


def with_scorecard_data(initiatives):
    """Everything scorecards and gate criteria read, loaded in a fixed number of queries."""
    return initiatives.select_related("charter").prefetch_related(
        Prefetch("role_assignments", queryset=RoleAssignment.objects.select_related("user")),
        Prefetch("kpis", queryset=with_latest_values(Kpi.objects.order_by("position", "id"))),
        Prefetch("gate_reviews", queryset=GateReview.objects.select_related("policy")),
        Prefetch("published_assets", queryset=Asset.objects.annotate(version_count=Count("versions"))),
        Prefetch("controls", queryset=InitiativeControl.objects.select_related("updated_by")),
        Prefetch("data_sources", queryset=DataSource.objects.select_related("owner")),
    )


def kpis_with_latest(initiative) -> list[Kpi]:
    """The initiative's KPIs with latest_value/latest_at, from the prefetch when there is one."""
    cached = getattr(initiative, "_prefetched_objects_cache", {}).get("kpis")
    if cached is not None and (not cached or hasattr(cached[0], "latest_value")):
        return list(cached)
    return list(with_latest_values(Kpi.objects.filter(initiative=initiative).order_by("position", "id")))


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

    def stored(self) -> list:
        """The figures a snapshot keeps, in Scorecard.KPI_FIELDS order (as the SQL recompute writes them)."""
        latest_at = self.latest_at.isoformat() if self.latest_at else None
        figures = {"kpi": self.kpi_id, "stale": int(self.stale), "latest_at": latest_at}
        return [figures[name] if name in figures else getattr(self, name) for name in Scorecard.KPI_FIELDS]


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


def health_of(scores: list[KpiScore]) -> tuple[str, str]:
    counted = [s for s in scores if s.kind in (Kpi.Kind.LAGGING, Kpi.Kind.GUARDRAIL)]
    with_data = [s for s in counted if s.status != NO_DATA]
    health = min((s.status for s in with_data), key=_RANK.__getitem__, default=NO_DATA)
    confidence = "stale" if not counted or any(s.stale or s.status == NO_DATA for s in counted) else "fresh"
    return health, confidence


def _flag(code: str, **details) -> dict:
    return {"code": code, "label": FLAG_LABELS[code], **details}


def failure_modes(initiative, scores: list[KpiScore], launch: datetime | None, now: datetime) -> list[dict]:
    """The framework's failure modes this initiative shows now, as snapshots store them (see flag_reason).

    Only an active initiative can fail this way: a killed one has stopped, and an on-hold one is paused
    by a recorded decision (its status says so, with the reason); its flags return when it resumes."""
    if initiative.status != Initiative.Status.ACTIVE:
        return []
    flags = []
    age = (now.date() - initiative.started_on).days
    if initiative.stage in (Stage.DEFINE_OUTCOME, Stage.SECURE_FOUNDATION) and age > settings.PILOT_THEATER_DAYS:
        flags.append(_flag("pilot-theater", days=age))
    if launch and not any(s.latest_at and s.latest_at >= launch for s in scores):
        flags.append(_flag("pilot-theater", since_launch=1))
    if launch and not any(a.role == Role.SERVICE_OWNER for a in initiative.role_assignments.all()):
        flags.append(_flag("no-scale-owner"))
    stale = [s.kpi_id for s in scores if s.kind != Kpi.Kind.LEADING and s.stale and s.latest_value is not None]
    if launch and stale:
        flags.append(_flag("stale-data", kpis=stale))
    overdue = [r for r in initiative.gate_reviews.all() if r.is_overdue]
    if overdue:
        flags.append(_flag("approval-overdue", gate=overdue[0].gate, days=(now - overdue[0].due_at).days))
    return flags


def flag_reason(flag: dict, kpi_names: dict[int, str]) -> str:
    """A stored flag in words; `kpi_names` names the KPIs a stale-data flag lists, in display order."""
    from governance.models import Gate

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
    return flag.get("label", flag["code"])


def missing_roles(initiative) -> list[str]:
    held = {a.role for a in initiative.role_assignments.all()}
    return [role.value for role in Role if role not in held]


def value_and_cost(initiative, kpis: list[Kpi]) -> dict:
    """Time returned to the business beside modelled value; cost per transaction and at twice the volume."""

    def latest_hours(measure: str) -> float | None:
        values = [k.latest_value for k in kpis if k.value_measure == measure and k.latest_value is not None]
        return sum(values) if values else None

    rate = settings.VALUE_HOURLY_RATE
    saved, reallocated = latest_hours(Kpi.ValueMeasure.TIME_SAVED), latest_hours(Kpi.ValueMeasure.TIME_REALLOCATED)
    charter = initiative.charter
    per_thousand = float(charter.cost_per_1000_inferences) if charter.cost_per_1000_inferences is not None else None
    per_transaction = per_thousand / 1000 if per_thousand is not None else None
    volume = charter.expected_monthly_volume
    monthly = per_transaction * volume if per_transaction is not None and volume else None
    return {
        "time_saved_hours": saved,
        "time_reallocated_hours": reallocated,
        "modelled_value": saved * rate if saved is not None else None,
        "realised_value": reallocated * rate if reallocated is not None else None,
        "cost_per_transaction": per_transaction,
        "monthly_cost": monthly,
        "monthly_cost_at_2x": monthly * 2 if monthly is not None else None,
    }


def compute(initiative, policies: dict, now: datetime | None = None):
    """One initiative's scorecard (unsaved), as the SQL recompute stores it. `initiative` must come
    from with_scorecard_data()."""
    from governance.criteria import evaluate, evaluated_as_of
    from governance.models import Gate

    now = now or timezone.now()
    kpis = kpis_with_latest(initiative)
    scores = [score_kpi(k, now) for k in kpis]
    health, confidence = health_of(scores)
    gate = Gate.leaving(initiative.stage)
    policy = policies.get((gate, initiative.risk_tier)) if gate else None
    with evaluated_as_of(now):
        criteria = evaluate(initiative, policy.criteria) if policy else []
    return Scorecard(
        initiative=initiative,
        computed_at=now,
        stage=initiative.stage,
        status=initiative.status,
        health=health,
        confidence=confidence,
        next_gate=gate.value if gate else "",
        readiness_met=sum(c.passed for c in criteria),
        readiness_total=len(criteria),
        missing_roles=missing_roles(initiative),
        flags=failure_modes(initiative, scores, launched_at(initiative), now),
        kpis=[s.stored() for s in scores],
        criteria=[{"key": c.key, "status": c.status} for c in criteria],
        **value_and_cost(initiative, kpis),
    )


def compute_many(initiatives, now: datetime | None = None) -> list:
    from governance.foundation.services import catalogue_loaded_once

    policies = GatePolicy.objects.newest_published()
    with catalogue_loaded_once():
        return [compute(i, policies, now) for i in with_scorecard_data(initiatives)]


def latest_scorecard(initiative):
    """The initiative's newest snapshot, ready to show (see present), or None before the first recompute."""
    card = initiative.scorecards.order_by("-computed_at", "-id").first()
    return present(card) if card else None


_FLAG_ORDER = {code: n for n, code in enumerate(FLAG_LABELS)}
_ROLE_ORDER = {role.value: n for n, role in enumerate(Role)}


def present(card):
    """Give a stored snapshot its prose, in display order, with one query for its KPIs: each KPI row its
    name, unit, kind and reason (from the KPI as it is now; a removed KPI keeps its key), each flag its
    reason, each criterion its label. Returns the same, unsaved, object."""
    from governance.criteria import CATALOGUE

    criteria_order = {key: n for n, key in enumerate(CATALOGUE)}
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
                "reason": reason,
            }
        )
    names = {row["kpi"]: row["name"] for row in rows}
    card.kpis = rows
    card.flags = [
        # A snapshot from before figures-only flags carries its reason already.
        {**flag, **_in_display_order(flag, names), "reason": flag.get("reason") or flag_reason(flag, names)}
        for flag in sorted(card.flags, key=lambda f: _FLAG_ORDER.get(f["code"], len(_FLAG_ORDER)))
    ]
    card.criteria = [
        {**c, "label": CATALOGUE.get(c["key"], c["key"])}
        for c in sorted(card.criteria, key=lambda c: criteria_order.get(c["key"], len(criteria_order)))
    ]
    card.missing_roles = sorted(card.missing_roles, key=lambda role: _ROLE_ORDER.get(role, len(_ROLE_ORDER)))
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
