"""The scorecard rules stated twice, side by side: the SQL recompute and the Python reference.

The reference (compute_many and the rules it calls) scores each initiative in Python, one rule at a
time, so the rule tests can state each rule plainly; the recompute (kpis/scorecard_sql.py) must
reach the same figures, and `assert_sql_matches_python` checks it does.
"""

from datetime import date, datetime

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils import timezone

from governance.criteria import evaluate, evaluated_as_of
from governance.models import Asset, DataSource, Gate, GatePolicy, GateReview, InitiativeControl
from initiatives import plan
from initiatives.models import Initiative, Role, RoleAssignment, Stage
from kpis import telemetry
from kpis.models import Kpi, Measurement, Scorecard
from kpis.scorecard_sql import insert_scorecards
from kpis.scorecards import (
    AMBER,
    FLAG_LABELS,
    GREEN,
    NO_DATA,
    RED,
    KpiScore,
    kpis_with_latest,
    launched_at,
    present,
    score_kpi,
)

COMPARED = (
    "stage",
    "status",
    "health",
    "confidence",
    "next_gate",
    "readiness_met",
    "readiness_total",
    "missing_roles",
    "flags",
    "criteria",
    "cost_source",
    "diagnosis",
    "telemetry",
)
NUMBERS = (
    "time_saved_hours",
    "time_reallocated_hours",
    "modelled_value",
    "realised_value",
    "cost_per_transaction",
    "monthly_cost",
    "monthly_cost_at_2x",
)
KPI_NUMBERS = ("latest_value", "progress", "expected")


def case_fields(kind: str, direction: str, baseline_on: date, target_on: date) -> dict:
    """A KPI case's defaults. Increase: 100 → 200; decrease: 20 → 10; guardrails: at most 5 or at
    least 4.2."""
    if kind == "guardrail":
        return {"guardrail_bound": 5.0 if direction == "decrease" else 4.2}
    baseline, target = (100.0, 200.0) if direction == "increase" else (20.0, 10.0)
    return {"baseline_value": baseline, "baseline_date": baseline_on, "target_value": target, "target_date": target_on}


def _close(expected):
    return expected if expected is None else pytest.approx(expected, rel=1e-12)


def with_scorecard_data(initiatives):
    """Everything scorecards and gate criteria read, loaded in a fixed number of queries."""
    return initiatives.select_related("charter", "after_action_review").prefetch_related(
        "after_action_review__kpis",
        Prefetch("role_assignments", queryset=RoleAssignment.objects.select_related("user")),
        Prefetch("kpis", queryset=Kpi.objects.order_by("position", "id").with_latest_values()),
        Prefetch("gate_reviews", queryset=GateReview.objects.select_related("policy")),
        Prefetch("published_assets", queryset=Asset.objects.annotate(version_count=Count("versions"))),
        Prefetch("controls", queryset=InitiativeControl.objects.select_related("updated_by")),
        Prefetch("data_sources", queryset=DataSource.objects.select_related("owner")),
    )


def newest_published_policies() -> dict:
    """{(gate, risk tier): newest published policy} in one query, for evaluating many initiatives."""
    newest = {}
    for policy in GatePolicy.objects.filter(published_at__isnull=False).order_by("version"):
        newest[(policy.gate, policy.risk_tier)] = policy
    return newest


def stored(score: KpiScore) -> list:
    """The figures a snapshot keeps, in Scorecard.KPI_FIELDS order (as the SQL recompute writes them)."""
    latest_at = score.latest_at.isoformat() if score.latest_at else None
    figures = {"kpi": score.kpi_id, "stale": int(score.stale), "latest_at": latest_at}
    return [figures[name] if name in figures else getattr(score, name) for name in Scorecard.KPI_FIELDS]


_RANK = {RED: 0, AMBER: 1, GREEN: 2}


def health_of(scores: list[KpiScore]) -> tuple[str, str]:
    counted = [s for s in scores if s.kind in (Kpi.Kind.LAGGING, Kpi.Kind.GUARDRAIL)]
    with_data = [s for s in counted if s.status != NO_DATA]
    health = min((s.status for s in with_data), key=_RANK.__getitem__, default=NO_DATA)
    confidence = "stale" if not counted or any(s.stale or s.status == NO_DATA for s in counted) else "fresh"
    return health, confidence


def _flag(code: str, **details) -> dict:
    return {"code": code, "label": FLAG_LABELS[code], **details}


def trends(scores: list[KpiScore], now: datetime) -> dict[str, dict]:
    """Per trend (cost, drift), the steepest of its KPIs' fitted rises over their last TREND_POINTS points
    (kpis.telemetry.fitted_rise): {kpi, rise, points}; a trend none of whose KPIs has one is left out."""
    steepest = {}
    for score in sorted(scores, key=lambda s: s.kpi_id):
        trend = telemetry.trend_of(score.key)
        if not trend:
            continue
        newest = Measurement.objects.filter(kpi_id=score.kpi_id).order_by("-timestamp", "source")
        points = [((m.timestamp - now).total_seconds() / 86400, m.value) for m in newest[: settings.TREND_POINTS]]
        rise = telemetry.fitted_rise(points)
        if rise is not None and (trend not in steepest or rise > steepest[trend]["rise"]):
            steepest[trend] = {"kpi": score.kpi_id, "rise": rise, "points": len(points)}
    return steepest


def diagnosis_and_telemetry(initiative, scores: list[KpiScore], now: datetime) -> tuple[str, dict]:
    """The framework's diagnosis and the figures behind it, as Scorecard.telemetry stores them."""
    categories = dict(Kpi.objects.filter(initiative=initiative).values_list("pk", "category"))
    # The KPIs behind each level are listed when the snapshot is read (kpis.scorecards.present).
    platform = [s for s in scores if telemetry.is_platform(s.key)]
    adoption = [s for s in scores if categories.get(s.kpi_id) == Kpi.Category.ADOPTION]
    cost = trends(scores, now).get(telemetry.COST)
    levels = {
        "platform": telemetry.level([s.status for s in platform]),
        "adoption": telemetry.level([s.status for s in adoption]),
        "cost": telemetry.cost_level(cost["rise"] if cost else None),
    }
    rising = levels["cost"] == telemetry.RISING
    figures = {
        **levels,
        "cost_kpi": cost["kpi"] if cost else None,
        "cost_points": cost["points"] if cost else None,
        "cost_rise": telemetry.percent(cost["rise"]) if rising else None,
    }
    return telemetry.diagnose(levels), figures


def measured_cost(scores: list[KpiScore]) -> float | None:
    """The latest cost per request, or cost per 1,000 inferences ÷ 1,000; None when neither has data."""

    def latest(suffix: str) -> float | None:
        values = [s.latest_value for s in scores if telemetry.has_suffix(s.key, suffix) and s.latest_value is not None]
        return max(values) if values else None

    per_request, per_thousand = latest(telemetry.COST_PER_REQUEST), latest(telemetry.COST_PER_1000)
    return per_request if per_request is not None else (per_thousand / 1000 if per_thousand is not None else None)


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
    today = timezone.localdate(now)
    missed = plan.missed_milestone(initiative.stage, getattr(initiative, "charter", None), today)
    if missed:
        due = getattr(initiative.charter, missed.due_field)
        flags.append(_flag("behind-plan", day=missed.day, days=(today - due).days))
    for trend, fit in trends(scores, now).items():
        if fit["rise"] > settings.TREND_RISE:
            rise = telemetry.percent(fit["rise"])
            flags.append(_flag(f"{trend}-rising", kpi=fit["kpi"], rise=rise, points=fit["points"]))
    return flags


def missing_roles(initiative) -> list[str]:
    held = {a.role for a in initiative.role_assignments.all()}
    return [role.value for role in Role if role not in held]


def value_and_cost(initiative, kpis: list[Kpi], measured: float | None = None) -> dict:
    """Time returned to the business beside modelled value; cost per transaction (`measured` when a cost KPI
    has data, the charter's estimate otherwise) and at twice the volume."""

    def latest_hours(measure: str) -> float | None:
        values = [k.latest_value for k in kpis if k.value_measure == measure and k.latest_value is not None]
        return sum(values) if values else None

    rate = settings.VALUE_HOURLY_RATE
    saved, reallocated = latest_hours(Kpi.ValueMeasure.TIME_SAVED), latest_hours(Kpi.ValueMeasure.TIME_REALLOCATED)
    charter = initiative.charter
    per_thousand = float(charter.cost_per_1000_inferences) if charter.cost_per_1000_inferences is not None else None
    per_transaction = per_thousand / 1000 if per_thousand is not None else None
    source = Scorecard.CostSource.CHARTER if per_transaction is not None else ""
    if measured is not None:
        per_transaction, source = measured, Scorecard.CostSource.MEASURED
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
        "cost_source": source,
    }


def compute(initiative, policies: dict, now: datetime | None = None):
    """One initiative's scorecard (unsaved), as the SQL recompute stores it. `initiative` must come
    from with_scorecard_data()."""
    now = now or timezone.now()
    kpis = kpis_with_latest(initiative)
    scores = [score_kpi(k, now) for k in kpis]
    health, confidence = health_of(scores)
    gate = Gate.leaving(initiative.stage)
    policy = policies.get((gate, initiative.risk_tier)) if gate else None
    with evaluated_as_of(now):
        criteria = evaluate(initiative, policy.criteria) if policy else []
    diagnosis, figures = diagnosis_and_telemetry(initiative, scores, now)
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
        kpis=[stored(s) for s in scores],
        criteria=[{"key": c.key, "status": c.status} for c in criteria],
        diagnosis=diagnosis,
        telemetry=figures,
        **value_and_cost(initiative, kpis, measured_cost(scores)),
    )


def compute_many(initiatives, now: datetime | None = None) -> list:
    policies = newest_published_policies()
    return [compute(i, policies, now) for i in with_scorecard_data(initiatives)]


def sql_and_python(initiatives, now: datetime) -> list[tuple[Scorecard, Scorecard]]:
    """Per initiative: the snapshot the SQL statement writes and the scorecard the Python rules compute,
    both presented. Nothing stays written."""
    ids = [i.pk for i in initiatives]
    with transaction.atomic():
        insert_scorecards(now, ids)
        written = Scorecard.objects.filter(initiative_id__in=ids, computed_at=now)  # not seed_demo's history
        written = {card.initiative_id: card for card in written}
        transaction.set_rollback(True)
    computed = {card.initiative_id: card for card in compute_many(Initiative.objects.filter(pk__in=ids), now)}
    return [(present(written[pk]), present(computed[pk])) for pk in ids]


def assert_same(sql: Scorecard, python: Scorecard) -> None:
    where = python.initiative.slug
    for name in COMPARED:
        ours, reference = getattr(sql, name), getattr(python, name)
        assert ours == reference, f"{where} {name}: SQL {ours!r}, Python {reference!r}"
    for name in NUMBERS:
        ours, reference = getattr(sql, name), getattr(python, name)
        assert ours == _close(reference), f"{where} {name}: SQL {ours!r}, Python {reference!r}"
    assert [k["key"] for k in sql.kpis] == [k["key"] for k in python.kpis], f"{where} KPIs"
    for ours, reference in zip(sql.kpis, python.kpis, strict=True):
        numbers = {name: _close(reference[name]) for name in KPI_NUMBERS}
        assert ours == {**reference, **numbers}, f"{where} {reference['key']}: SQL {ours!r}, Python {reference!r}"


def assert_sql_matches_python(initiatives, now: datetime) -> list[Scorecard]:
    """The SQL recompute agrees with the Python rules on every figure; returns the Python scorecards."""
    pairs = sql_and_python(initiatives, now)
    for sql, python in pairs:
        assert_same(sql, python)
    return [python for _, python in pairs]
