"""The scorecard rules stated twice, side by side: the SQL recompute and the Python reference."""

from datetime import date, datetime

import pytest
from django.db import transaction

from initiatives.models import Initiative
from kpis.models import Scorecard
from kpis.scorecard_sql import insert_scorecards
from kpis.scorecards import compute_many, present

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
