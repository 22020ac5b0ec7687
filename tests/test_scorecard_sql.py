"""The SQL recompute (kpis/scorecard_sql.py) against the Python rules (tests/scorecards.py).

The rule tests state each rule once, on the Python reference; these tests check that the set-based
statement the scheduled recompute runs reaches the same figures, KPI by KPI and initiative by
initiative: on a grid of KPI cases around every boundary, on every registered gate criterion, and on
the whole demo portfolio.
"""

import json
from datetime import date, datetime, timedelta
from itertools import count

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

import governance.criteria
from governance.models import Gate, GatePolicy
from initiatives.models import Initiative
from kpis import services as kpi_services
from kpis.models import Kpi, Measurement, Scorecard
from kpis.scorecard_sql import insert_scorecards, kpi_figures_query, store_scorecards
from kpis.scorecards import CADENCE_PERIOD
from opmodel.compat import UTC
from tests.scorecards import assert_sql_matches_python, case_fields

NOW = datetime(2026, 2, 20, 12, tzinfo=UTC)
BASELINE_ON = date(2026, 1, 1)
TARGET_ON = BASELINE_ON + timedelta(days=100)  # half-way at NOW: 50 % expected

pytestmark = pytest.mark.django_db


class KpiGrid:
    """KPIs on one initiative, each with the fields and newest points a case needs."""

    def __init__(self, initiative, user):
        self.initiative = initiative
        self.driver = kpi_services.add_driver(initiative.pk, acting_user=user, name="Every case")
        self.numbers = count()

    def add(self, kind="lagging", direction="increase", *, points=(), cadence="weekly", **fields) -> Kpi:
        n = next(self.numbers)
        defaults = case_fields(kind, direction, BASELINE_ON, TARGET_ON)
        kpi = Kpi.objects.create(  # not through the services: some cases are ones they would refuse
            initiative=self.initiative,
            driver=self.driver,
            key=f"grid.case-{n}",
            name=f"Case {n}",
            unit="units",
            kind=kind,
            direction=direction,
            cadence=cadence,
            position=n,
            **{**defaults, **fields},
        )
        Measurement.objects.bulk_create(
            Measurement(kpi=kpi, value=value, timestamp=at, source=source) for value, at, source in points
        )
        return kpi


def point(value, at=NOW - timedelta(hours=1), source="api"):
    return (value, at, source)


def test_every_kpi_case_scores_the_same(initiative, alice, settings):
    # Gaps a float hits exactly: at NOW 50 % is expected, so 25 % and 0 % progress sit on the edges.
    settings.SCORECARD_AMBER_GAP, settings.SCORECARD_RED_GAP = 0.25, 0.5
    grid = KpiGrid(initiative, alice)
    for direction, (start, end) in (("increase", (100.0, 200.0)), ("decrease", (20.0, 10.0))):
        step = (end - start) / 20
        for n in range(-4, 25):  # from moving away, through every gap, to past the target
            grid.add("lagging", direction, points=[point(start + n * step)])
            grid.add("leading", direction, points=[point(start + n * step)])
        grid.add("lagging", direction)  # no point yet
    for direction, bound in (("decrease", 5.0), ("increase", 4.2)):
        for value in (bound - 1, bound - 0.001, bound, bound + 0.001, bound + 1):
            grid.add("guardrail", direction, points=[point(value)])
    for cadence, period in CADENCE_PERIOD.items():
        for age in (period, 2 * period - timedelta(seconds=1), 2 * period, 2 * period + timedelta(seconds=1)):
            grid.add("lagging", cadence=cadence, points=[point(150.0, NOW - age)])
            grid.add("guardrail", "decrease", cadence=cadence, points=[point(1.0, NOW - age)])
    for missing in ("baseline_value", "baseline_date", "target_value", "target_date"):
        grid.add("lagging", points=[point(150.0)], **{missing: None})
    grid.add("lagging", points=[point(150.0)], target_value=100.0)  # target equals baseline
    grid.add("lagging", points=[point(150.0)], target_date=BASELINE_ON)  # no time to get there
    grid.add("lagging", points=[point(150.0)], baseline_date=NOW.date() + timedelta(days=5))  # not started
    grid.add("lagging", points=[point(150.0)], target_date=NOW.date() - timedelta(days=1))  # past its date
    # Two sources at the newest timestamp: the tie is broken by source name ("api" before "csv").
    grid.add(
        "lagging",
        points=[point(180.0, source="csv"), point(120.0, source="api"), point(190.0, NOW - timedelta(days=2))],
    )
    # 39.3 / 60 is 0.6549999999999999: read back from 15 digits of text it would be 0.655, "66 %" not "65 %".
    grid.add("lagging", points=[point(39.3)], baseline_value=0.0, target_value=60.0)
    grid.add("leading", value_measure="time-saved", points=[point(12.5)])
    grid.add("leading", value_measure="time-saved", points=[point(3.25)])
    grid.add("leading", value_measure="time-reallocated", points=[point(4.0)])
    grid.add("leading", value_measure="time-reallocated")

    [card] = assert_sql_matches_python([initiative], NOW)

    statuses = {row["status"] for row in card.kpis}
    assert statuses == {"green", "amber", "red", "no-data"}  # the grid reaches every status
    assert {row["stale"] for row in card.kpis} == {True, False}
    assert card.time_saved_hours == 15.75 and card.time_reallocated_hours == 4.0


def test_an_initiative_without_kpis_scores_the_same(initiative):
    [card] = assert_sql_matches_python([initiative], timezone.now())

    assert (card.health, card.confidence, card.kpis) == ("no-data", "stale", [])


def test_a_criterion_without_a_check_is_unavailable_in_both(initiative, monkeypatch):
    monkeypatch.delitem(governance.criteria._CRITERIA, "pilot-theater-answered")

    [card] = assert_sql_matches_python([initiative], timezone.now())

    assert {c["key"]: c["status"] for c in card.criteria}["pilot-theater-answered"] == "unavailable"


def test_the_demo_portfolio_scores_the_same():
    call_command("seed_demo", verbosity=0)
    initiatives = list(Initiative.objects.order_by("pk"))
    snapshots = Scorecard.objects.count()

    cards = assert_sql_matches_python(initiatives, timezone.now())

    # The demo reaches the rules the scorecard carries, so the comparison is not vacuous.
    assert {card.health for card in cards} >= {"green", "red"}
    assert {flag["code"] for card in cards for flag in card.flags} >= {"pilot-theater", "approval-overdue"}
    assert any(card.readiness_met for card in cards) and any(card.readiness_total for card in cards)
    assert Scorecard.objects.count() == snapshots  # the comparison wrote nothing


def in_any_order(name: str, value):
    """A snapshot's lists are stored in whatever order the plan aggregates them (PostgreSQL plans the
    dirty run and the named ids differently) and put in display order when read (Scorecard.kpi_rows,
    kpis.scorecards.present); compare them sorted."""
    return sorted(value, key=json.dumps) if name in ("kpis", "flags", "criteria") else value


def test_the_scheduled_run_writes_what_the_ids_give():
    """The scheduled run picks the dirty initiatives itself (on PostgreSQL inside the statement): the
    same snapshots as naming them, and only theirs."""
    call_command("seed_demo", verbosity=0)
    dirty = list(Initiative.objects.order_by("pk").values_list("pk", flat=True)[::2])
    Initiative.objects.update(scorecard_dirty_at=None)
    Initiative.objects.filter(pk__in=dirty).mark_dirty()
    now = timezone.now()

    def written(store) -> dict:
        with transaction.atomic():
            store()
            rows = Scorecard.objects.filter(computed_at=now).values()
            cards = {row["initiative_id"]: {k: in_any_order(k, v) for k, v in row.items() if k != "id"} for row in rows}
            transaction.set_rollback(True)
        return cards

    by_ids = written(lambda: insert_scorecards(now, dirty))
    scheduled = written(lambda: store_scorecards(now, full=False))

    assert sorted(scheduled) == sorted(dirty)
    assert scheduled == by_ids


def test_every_registered_criterion_agrees_on_the_demo_portfolio(make_initiative):
    """Each registered criterion's SQL condition against its Python check, whatever gate a policy names
    it at: every initiative's next gate asks for all of them, and each one passes and fails somewhere
    (the demo portfolio, and a new initiative with nothing filled in yet)."""
    make_initiative("Nothing filled in yet", complete=False)
    call_command("seed_demo", verbosity=0)
    every = [c.key for c in governance.criteria.registered()]
    for gate in Gate:
        for tier in Initiative.RiskTier:
            current = GatePolicy.objects.current(gate, tier)
            GatePolicy.objects.create(
                gate=gate,
                risk_tier=tier,
                version=current.version + 1,
                criteria=every,
                approver_slots=current.approver_slots,
                published_at=timezone.now(),
            )

    cards = assert_sql_matches_python(list(Initiative.objects.order_by("pk")), timezone.now())

    compared = [card for card in cards if card.next_gate]
    assert compared and all([c["key"] for c in card.criteria] == every for card in compared)
    statuses = {key: {c["status"] for card in compared for c in card.criteria if c["key"] == key} for key in every}
    assert all(found == {"pass", "fail"} for found in statuses.values()), statuses


def test_the_benchmarks_kpi_query_scores_as_the_recompute_stores(initiative, kpi):
    """kpi_figures_query, the baseline `make bench` measures the recompute against, reads the newest point
    as the recompute does: a point stamped a little ahead of now (ingest allows a day) included."""
    now = timezone.now()
    Measurement.objects.create(kpi=kpi, timestamp=now - timedelta(days=2), value=11.0)
    Measurement.objects.create(kpi=kpi, timestamp=now + timedelta(hours=1), value=10.0)
    sql, params = kpi_figures_query()

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        [(kpi_id, initiative_id, latest_value, *_)] = cursor.fetchall()
    insert_scorecards(timezone.now(), [initiative.pk])

    assert (kpi_id, initiative_id, latest_value) == (kpi.pk, initiative.pk, 10.0)
    assert Scorecard.objects.get(initiative=initiative).kpi_rows()[0]["latest_value"] == latest_value


def test_cohort_adoption_scores_the_same_on_every_case(make_initiative, alice):
    """The cohort-adoption criterion (kpis/criteria.py) on each case around its rule: adopters (power and
    occasional users, the newest share of each) at, above and below the charter's target; a share missing, a
    cohort KPI without a point, the charter's size or target missing, a cohort of nobody; two sources at the
    newest timestamp; and a second KPI marked with the same cohort (the services refuse it; written directly)."""
    current = GatePolicy.objects.current(Gate.CHARTER_SIGNOFF, "medium")
    GatePolicy.objects.create(
        gate=Gate.CHARTER_SIGNOFF,
        risk_tier="medium",
        version=current.version + 1,
        criteria=["cohort-adoption"],
        approver_slots=current.approver_slots,
        published_at=timezone.now(),
    )
    cases = {
        "at the target": ({"power": [point(40.0)], "occasional": [point(30.0)]}, {}),
        "above": ({"power": [point(52.5)], "occasional": [point(30.25)], "non-adopter": [point(17.25)]}, {}),
        "below": ({"power": [point(20.0)], "occasional": [point(49.99)]}, {}),
        "newest, not best": (
            {"power": [point(20.0), point(60.0, NOW - timedelta(days=3))], "occasional": [point(40.0)]},
            {},
        ),
        "non-adopters only": ({"non-adopter": [point(10.0)]}, {}),
        "no occasional point": ({"power": [point(80.0)], "occasional": []}, {}),
        "no size": ({"power": [point(40.0)], "occasional": [point(40.0)]}, {"target_cohort_size": None}),
        "no target": ({"power": [point(40.0)], "occasional": [point(40.0)]}, {"adoption_target": None}),
        "cohort of nobody": ({"power": [point(40.0)], "occasional": [point(40.0)]}, {"target_cohort_size": 0}),
        "two sources": (
            {"power": [point(10.0, source="csv"), point(45.0, source="api")], "occasional": [point(25.0)]},
            {},
        ),
        "a cohort twice": ({"power": [point(40.0)], "occasional": [point(30.0)], "power-again": [point(35.0)]}, {}),
        "no cohort KPI": ({}, {}),
    }
    initiatives, numbers = [], count()  # KPI keys are unique across initiatives
    for n, (title, (shares, charter)) in enumerate(cases.items()):
        initiative = make_initiative(
            f"Cohort case {n}: {title}", **{"target_cohort_size": 140, "adoption_target": 70, **charter}
        )
        grid = KpiGrid(initiative, alice)
        grid.numbers = numbers
        for cohort, points in shares.items():
            grid.add("leading", cohort=cohort.removesuffix("-again"), points=points)
        initiatives.append(initiative)

    cards = assert_sql_matches_python(initiatives, NOW)

    statuses = {i.title.split(": ")[1]: card.criteria[0]["status"] for i, card in zip(initiatives, cards, strict=True)}
    assert statuses == {
        "at the target": "pass",
        "above": "pass",
        "below": "fail",
        "newest, not best": "fail",  # 20 + 40; the older 60 would pass
        "non-adopters only": "fail",
        "no occasional point": "fail",
        "no size": "fail",
        "no target": "fail",
        "cohort of nobody": "fail",
        "two sources": "pass",
        "a cohort twice": "pass",  # the higher of the two power shares: 40 + 30
        "no cohort KPI": "fail",
    }
