"""Telemetry with trends and the framework's diagnosis (kpis/telemetry.py): the rules in Python, the SQL
recompute agreeing with them, and where people see them: the initiative page, the scorecard API, the
initiatives API filter and the portfolio."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from initiatives import services as initiative_services
from initiatives.models import Initiative
from kpis import services as kpi_services
from kpis import telemetry
from kpis.models import Kpi, Measurement, Scorecard
from kpis.scorecard_sql import insert_scorecards, store_past_scorecards
from kpis.scorecards import latest_scorecard
from opmodel.compat import UTC
from tests.lifecycle import api_as, assert_problem
from tests.scorecards import assert_sql_matches_python

NOW = datetime(2026, 2, 20, 12, tzinfo=UTC)
BASELINE_ON, TARGET_ON = NOW.date() - timedelta(days=50), NOW.date() + timedelta(days=50)  # 50 % expected

pytestmark = pytest.mark.django_db


class Tree:
    """KPIs on one initiative keyed by the template suffixes the rules read, each with its points."""

    def __init__(self, initiative, user):
        self.initiative = initiative
        self.driver = kpi_services.add_driver(initiative.pk, acting_user=user, name="Telemetry")
        self.position = 0

    def add(self, suffix, kind="guardrail", direction="decrease", *, values=(), category="platform", **fields):
        """A KPI with `values` one week apart, the newest an hour before NOW."""
        self.position += 1
        if kind == "guardrail":
            fields.setdefault("guardrail_bound", 5.0)
        kpi = Kpi.objects.create(
            initiative=self.initiative,
            driver=self.driver,
            key=f"{self.initiative.slug}.{suffix}",
            name=suffix.replace("-", " ").capitalize(),
            unit="units",
            kind=kind,
            direction=direction,
            category=category,
            position=self.position,
            **fields,
        )
        newest = NOW - timedelta(hours=1)
        Measurement.objects.bulk_create(
            Measurement(kpi=kpi, value=value, timestamp=newest - timedelta(weeks=len(values) - 1 - n), source="api")
            for n, value in enumerate(values)
        )
        return kpi

    def platform(self, latency=1000.0, failures=1.0):
        self.add("inference-latency", guardrail_bound=2500.0, values=[latency])
        self.add("failure-rate", guardrail_bound=2.0, values=[failures])
        self.add("guardrail-trigger-rate", kind="leading", values=[3.0])  # no baseline and target: no status

    def adoption(self, latest: float):
        """Weekly active users from 0 towards 80 %; half-way through, 40 % is on plan (50 % expected)."""
        plan = {"baseline_value": 0.0, "baseline_date": BASELINE_ON, "target_value": 80.0, "target_date": TARGET_ON}
        self.add("weekly-active-users", "leading", "increase", category="adoption", values=[latest], **plan)

    def cost(self, *values, suffix="cost-per-request"):
        return self.add(suffix, "leading", category="cost", values=values)


@pytest.fixture
def tree(initiative, alice):
    return Tree(initiative, alice)


def card(initiative, now=NOW):
    [python] = assert_sql_matches_python([initiative], now)
    return python


class TestRulesInPython:
    def test_a_straight_line_rises_by_its_slope_times_its_span_over_its_mean(self):
        points = [(-35.0, 1.0), (-28.0, 1.1), (-21.0, 1.2), (-14.0, 1.3), (-7.0, 1.4), (0.0, 1.5)]
        assert telemetry.fitted_rise(points) == pytest.approx(0.5 / 1.25)

    @pytest.mark.parametrize(
        "points",
        [
            [(-7.0, 1.0), (0.0, 2.0)],  # fewer than three points
            [(0.0, 1.0), (0.0, 2.0), (0.0, 3.0)],  # all at one moment
            [(-14.0, 0.0), (-7.0, 0.0), (0.0, 0.0)],  # a mean of zero
        ],
    )
    def test_no_trend_without_enough_spread_points(self, points):
        assert telemetry.fitted_rise(points) is None

    @pytest.mark.parametrize(
        ("statuses", "level"),
        [
            (["green", "green", "no-data"], "strong"),
            (["green", "amber"], "weak"),
            (["red"], "weak"),
            (["no-data"], "unknown"),
            ([], "unknown"),
        ],
    )
    def test_a_group_is_strong_when_every_kpi_with_a_status_is_green(self, statuses, level):
        assert telemetry.level(statuses) == level

    @pytest.mark.parametrize(
        ("platform", "adoption", "cost", "diagnosis"),
        [
            ("strong", "weak", "steady", "change-management"),
            ("strong", "weak", "unknown", "change-management"),
            ("strong", "strong", "rising", "architecture"),
            ("unknown", "strong", "rising", "architecture"),
            ("weak", "strong", "rising", "architecture"),  # the framework's rule first
            ("weak", "weak", "steady", "platform-health"),
            ("weak", "unknown", "unknown", "platform-health"),
            ("strong", "strong", "steady", "on-track"),
            ("strong", "strong", "unknown", "on-track"),
            ("unknown", "weak", "steady", "not-enough-data"),
            ("unknown", "strong", "steady", "not-enough-data"),
            ("strong", "unknown", "rising", "not-enough-data"),
            ("unknown", "unknown", "unknown", "not-enough-data"),
        ],
    )
    def test_the_diagnosis_is_the_first_rule_that_holds(self, platform, adoption, cost, diagnosis):
        assert telemetry.diagnose({"platform": platform, "adoption": adoption, "cost": cost}) == diagnosis


class TestDiagnosisInTheRecompute:
    def test_strong_platform_health_and_weak_adoption_point_to_change_management(self, initiative, tree):
        tree.platform()
        tree.adoption(20.0)  # 25 % of the way, 50 % expected: amber

        python = card(initiative)

        assert python.diagnosis == "change-management"
        assert python.telemetry["platform"] == "strong" and python.telemetry["adoption"] == "weak"
        assert python.diagnosis_reasons[:2] == [
            "Platform health strong: Inference latency and Failure rate in bounds.",
            "Adoption weak: Weekly active users behind plan.",
        ]

    def test_strong_adoption_and_rising_cost_point_to_architecture(self, initiative, tree):
        tree.platform()
        tree.adoption(40.0)
        cost = tree.cost(1.0, 1.1, 1.2, 1.3, 1.4, 1.5)

        python = card(initiative)

        assert python.diagnosis == "architecture"
        assert python.telemetry["cost"] == "rising"
        [flag] = [f for f in python.flags if f["code"] == "cost-rising"]
        assert (flag["kpi"], flag["rise"], flag["points"]) == (cost.pk, 40, 6)
        assert flag["reason"] == "Cost per request up 40 % over its last 6 points (fitted trend)."
        assert "Cost rising: Cost per request up 40 % over its last 6 points" in python.diagnosis_reasons[2]

    def test_weak_platform_health_is_the_bottleneck(self, initiative, tree):
        tree.platform(failures=3.5)  # outside its 2 % bound
        tree.adoption(20.0)

        python = card(initiative)

        assert python.diagnosis == "platform-health"
        assert python.diagnosis_reasons[0] == "Platform health weak: Failure rate out of bounds or behind plan."

    def test_strong_platform_and_adoption_with_steady_cost_are_on_track(self, initiative, tree):
        tree.platform()
        tree.adoption(40.0)
        tree.cost(1.0, 1.02, 0.99, 1.01, 1.0, 1.01)

        python = card(initiative)

        assert python.diagnosis == "on-track"
        assert python.telemetry["cost"] == "steady"
        assert not any(f["code"] == "cost-rising" for f in python.flags)

    def test_without_platform_or_adoption_data_there_is_not_enough_data(self, initiative, tree):
        tree.add("inference-latency", guardrail_bound=2500.0)  # no point yet
        tree.adoption(40.0)

        python = card(initiative)

        assert python.diagnosis == "not-enough-data"
        assert python.diagnosis_reasons == [
            "Platform health unknown: latency, failure rate and guardrail trigger rate have no data yet.",
            "Adoption strong: Weekly active users on track.",
            "Cost trend unknown: fewer than 3 points of cost per request.",
        ]


class TestTrendRule:
    @pytest.mark.parametrize(
        ("values", "cost"),
        [
            ((1.0, 1.0, 1.0, 1.0, 1.0, 1.15), "rising"),  # fitted rise 10.5 % of the mean
            ((1.0, 1.0, 1.0, 1.0, 1.0, 1.14), "steady"),  # 9.8 %: at or under 10 % is steady
            ((1.0, 1.5), "unknown"),  # two points make no trend
            ((3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0), "steady"),  # the old spike is not among the last 6
            ((1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5), "steady"),  # falling
        ],
    )
    def test_cost_rises_when_its_fitted_rise_exceeds_the_threshold(self, initiative, tree, values, cost):
        tree.cost(*values)
        assert card(initiative).telemetry["cost"] == cost

    def test_the_threshold_and_the_points_are_settings(self, initiative, tree, settings):
        tree.cost(1.0, 1.0, 1.0, 1.0, 1.0, 1.10)
        settings.TREND_RISE = 0.05
        assert card(initiative).telemetry["cost"] == "rising"
        settings.TREND_POINTS = 3  # the last three: 1.0, 1.0, 1.10
        assert card(initiative).telemetry["cost_points"] == 3

    def test_the_steepest_cost_kpi_is_the_one_read(self, initiative, tree):
        tree.cost(10.0, 10.0, 10.0, 12.0, suffix="cost-per-1000-inferences")
        per_request = tree.cost(1.0, 1.0, 1.2, 1.6)
        python = card(initiative)
        assert python.telemetry["cost_kpi"] == per_request.pk

    def test_drift_rising_raises_its_flag(self, initiative, tree):
        drift = tree.add("drift-score", guardrail_bound=0.2, values=(0.05, 0.06, 0.07, 0.09, 0.11, 0.13))

        python = card(initiative)

        [flag] = [f for f in python.flags if f["code"] == "drift-rising"]
        assert flag["kpi"] == drift.pk and flag["rise"] > 10
        assert python.telemetry["cost"] == "unknown"  # drift is not cost

    def test_two_sources_at_one_moment_make_no_trend(self, initiative, tree):
        kpi = tree.cost(1.0)
        Measurement.objects.create(kpi=kpi, value=2.0, timestamp=NOW - timedelta(hours=1), source="bi-export")
        Measurement.objects.create(kpi=kpi, value=3.0, timestamp=NOW - timedelta(hours=1), source="gateway")
        assert card(initiative).telemetry["cost"] == "unknown"

    def test_a_past_snapshot_reads_the_points_of_then(self, initiative, tree):
        tree.cost(1.0, 1.0, 1.0, 1.0, 2.0)  # the jump came in the last week
        assert card(initiative).telemetry["cost"] == "rising"
        type(initiative).objects.filter(pk=initiative.pk).update(created_at=NOW - timedelta(days=90))
        store_past_scorecards(NOW - timedelta(days=3))
        then = Scorecard.objects.get(initiative=initiative)
        assert (then.telemetry["cost"], then.telemetry["cost_points"]) == ("steady", 4)
        assert not any(f["code"] == "cost-rising" for f in then.flags)


class TestCostProjection:
    @pytest.fixture(autouse=True)
    def priced(self, initiative, alice):
        """The charter's cost model: 3.80 per 1,000 inferences, 100,000 transactions a month."""
        initiative_services.update_charter(
            initiative.pk, acting_user=alice, cost_per_1000_inferences=Decimal("3.80"), expected_monthly_volume=100_000
        )
        initiative.refresh_from_db()

    def test_the_charters_estimate_without_cost_data(self, initiative, tree):
        python = card(initiative)
        charter = initiative.charter
        assert python.cost_source == "charter"
        assert python.cost_per_transaction == pytest.approx(float(charter.cost_per_1000_inferences) / 1000)
        assert python.monthly_cost == pytest.approx(380.0)
        assert python.cost_assumptions[0].startswith("Cost per transaction: the charter's estimate")

    def test_the_measured_cost_per_request_prices_the_projection(self, initiative, tree):
        tree.cost(0.004, 0.005)
        volume = initiative.charter.expected_monthly_volume

        python = card(initiative)

        assert python.cost_source == "measured"
        assert python.cost_per_transaction == pytest.approx(0.005)
        assert python.monthly_cost == pytest.approx(0.005 * volume)
        assert python.monthly_cost_at_2x == pytest.approx(0.01 * volume)
        assert python.cost_assumptions == [
            "Cost per transaction: measured: the latest point of Cost per request (20 Feb 2026).",
            f"Volume: the charter's expected {volume:,} transactions a month; at 2× volume the cost per "
            "transaction is assumed unchanged.",
        ]

    def test_cost_per_1000_inferences_counts_when_no_cost_per_request_has_data(self, initiative, tree):
        tree.cost(4.5, suffix="cost-per-1000-inferences")
        tree.cost()  # cost per request without a point
        python = card(initiative)
        assert python.cost_source == "measured"
        assert python.cost_per_transaction == pytest.approx(0.0045)
        assert "Cost per 1000 inferences ÷ 1,000" in python.cost_assumptions[0]

    def test_no_cost_at_all(self, initiative, alice):
        initiative_services.update_charter(initiative.pk, acting_user=alice, cost_per_1000_inferences=None)
        python = card(initiative)
        assert (python.cost_source, python.cost_per_transaction, python.monthly_cost) == ("", None, None)


@pytest.fixture
def diagnosed(initiative, tree):
    """Alice's initiative with strong platform health and weak adoption, its scorecard stored."""
    tree.platform()
    tree.adoption(20.0)
    insert_scorecards(NOW, [initiative.pk])
    return initiative


def test_the_initiative_page_shows_the_diagnosis_and_the_projections_assumptions(client, alice, diagnosed):
    client.force_login(alice)
    html = client.get(diagnosed.get_absolute_url()).content.decode()
    assert "Bottleneck: change management" in html
    assert "Adoption weak: Weekly active users behind plan." in html
    assert "Assumptions" in html and "No cost per transaction" in html


def test_the_scorecard_api_carries_the_diagnosis_and_its_reasons(alice, diagnosed):
    body = api_as(alice).get(f"/api/v1/initiatives/{diagnosed.slug}/scorecard/").json()
    assert body["diagnosis"] == "change-management"
    assert body["diagnosis_label"] == "Bottleneck: change management"
    assert body["diagnosis_reasons"][1] == "Adoption weak: Weekly active users behind plan."
    assert body["telemetry"]["platform"] == "strong" and body["telemetry"]["cost"] == "unknown"
    assert body["cost_source"] == ""


def test_a_snapshot_from_before_diagnoses_says_so(alice, initiative):
    Scorecard.objects.create(
        initiative=initiative,
        computed_at=NOW,
        stage=initiative.stage,
        status="active",
        health="green",
        confidence="fresh",
    )
    body = api_as(alice).get(f"/api/v1/initiatives/{initiative.slug}/scorecard/").json()
    assert body["diagnosis"] == "not-enough-data" and body["telemetry"] is None
    assert body["diagnosis_reasons"] == ["Computed before diagnoses were: the next recompute adds one."]


def test_the_initiatives_api_filters_by_diagnosis(alice, diagnosed, make_initiative):
    other = make_initiative("Invoice processing")  # no scorecard yet: not enough data
    client = api_as(alice)

    def slugs(diagnosis):
        response = client.get("/api/v1/initiatives/", {"diagnosis": diagnosis})
        return [i["slug"] for i in response.json()["results"]]

    assert slugs("change-management") == [diagnosed.slug]
    assert slugs("not-enough-data") == [other.slug]
    assert slugs("architecture") == []
    assert_problem(client.get("/api/v1/initiatives/", {"diagnosis": "bottleneck"}), 400, "diagnosis")


def test_the_portfolio_counts_and_filters_by_diagnosis(client, lee, diagnosed, make_initiative):
    make_initiative("Invoice processing")
    client.force_login(lee)
    url = reverse("initiatives:portfolio")
    counts = {value: (n, link) for value, _, n, link in client.get(url).context["portfolio"].diagnosis_counts}
    assert counts["change-management"] == (1, "?diagnosis=change-management")
    assert counts["not-enough-data"] == (1, "?diagnosis=not-enough-data")
    assert counts["architecture"][0] == 0
    shown = client.get(url, {"diagnosis": "change-management"}).context["page"].object_list
    assert [row.slug for row in shown] == [diagnosed.slug]
    html = client.get(url).content.decode()
    assert 'href="?diagnosis=change-management#initiatives"' in html
    assert "Bottleneck: change management" in html


def test_the_diagnosis_reads_adoption_by_category_not_by_name(initiative, tree):
    plan = {"baseline_value": 0.0, "baseline_date": BASELINE_ON, "target_value": 80.0, "target_date": TARGET_ON}
    tree.add("assisted-tickets", "leading", "increase", category="outcome", values=[10.0], **plan)
    assert card(initiative).telemetry["adoption"] == "unknown"
    Kpi.objects.filter(key__endswith="assisted-tickets").update(category="adoption")
    assert card(initiative).telemetry["adoption"] == "weak"


def test_the_demo_shows_weak_adoption_on_a_strong_platform_and_a_rising_cost_per_request():
    call_command("seed_demo", verbosity=0)
    underwriting = latest_scorecard(Initiative.objects.get(slug="underwriting-decision-support"))
    coding = latest_scorecard(Initiative.objects.get(slug="coding-assistant"))

    assert (underwriting.telemetry["platform"], underwriting.diagnosis) == ("strong", "change-management")
    assert (coding.diagnosis, coding.cost_source) == ("architecture", "measured")
    assert "cost-rising" in {flag["code"] for flag in coding.flags}
