"""Scorecard rules: each KPI against baseline, target and bound; health, value and cost; failure modes.

KPI statuses are scored on unsaved Kpi objects carrying latest_value/latest_at, as
`Kpi.objects.with_latest_values()` annotates them, against a fixed `now`.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.models import GateReview
from initiatives import services as initiative_services
from initiatives.models import Charter, Initiative, Role, Stage
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import Driver, Kpi
from kpis.scorecards import AMBER, GREEN, NO_DATA, RED, KpiScore, launched_at, score_kpi
from opmodel.compat import UTC
from tests.lifecycle import decide, give_role, pass_charter_signoff, pass_gate, request
from tests.scorecards import (
    assert_sql_matches_python,
    case_fields,
    compute_many,
    health_of,
    value_and_cost,
    with_scorecard_data,
)

BASELINE_ON = date(2026, 1, 1)
TARGET_ON = BASELINE_ON + timedelta(days=100)
# Half-way from baseline date to target date: 50 % of the progress is expected by now.
HALF_WAY = datetime(2026, 2, 20, 12, tzinfo=UTC)


def kpi(kind="lagging", direction="increase", *, latest=None, latest_at=HALF_WAY, cadence="weekly", **fields) -> Kpi:
    """An unsaved KPI with its newest point (see case_fields for its baseline, target and bound)."""
    defaults = case_fields(kind, direction, BASELINE_ON, TARGET_ON)
    k = Kpi(
        key=f"rules.{kind}-{direction}",
        name=f"{kind.title()} {direction}",
        unit="units",
        kind=kind,
        direction=direction,
        cadence=cadence,
        **{**defaults, **fields},
    )
    k.latest_value = latest
    k.latest_at = latest_at if latest is not None else None
    return k


def status(k: Kpi, now: datetime = HALF_WAY) -> str:
    return score_kpi(k, now).status


class TestProgressStatus:
    @pytest.mark.parametrize(
        ("latest", "expected"),
        [
            (150.0, GREEN),  # exactly the 50 % expected by now
            (180.0, GREEN),  # ahead of plan
            (145.0, GREEN),  # trails by 5 points, within the amber gap (10)
            (130.0, AMBER),  # trails by 20 points: beyond the amber gap, within the red gap (30)
            (125.0, AMBER),
            (110.0, RED),  # trails by 40 points
            (210.0, GREEN),  # target met and passed
            (90.0, RED),  # moved away from the target
        ],
    )
    def test_a_kpi_that_should_increase(self, latest, expected):
        score = score_kpi(kpi(latest=latest), HALF_WAY)

        assert score.status == expected, score.reason
        assert score.progress == pytest.approx((latest - 100) / 100)
        assert score.expected == pytest.approx(0.5)

    @pytest.mark.parametrize(
        ("latest", "expected"),
        [
            (15.0, GREEN),  # 50 % of the way from 20 down to 10
            (14.5, GREEN),
            (16.5, AMBER),  # 35 %: trails by 15 points
            (17.0, AMBER),  # 30 %: trails by 20 points
            (19.0, RED),  # 10 %: trails by 40 points
            (9.0, GREEN),  # beyond the target
            (21.0, RED),  # went up: the wrong way
        ],
    )
    def test_a_kpi_that_should_decrease(self, latest, expected):
        score = score_kpi(kpi(direction="decrease", latest=latest), HALF_WAY)

        assert score.status == expected, score.reason
        assert score.progress == pytest.approx((20 - latest) / 10)

    def test_the_target_met_is_green_however_late_it_is(self):
        after_target = datetime(2026, 6, 1, tzinfo=UTC)

        assert status(kpi(latest=200.0, latest_at=after_target), after_target) == GREEN
        assert status(kpi(direction="decrease", latest=10.0, latest_at=after_target), after_target) == GREEN

    @pytest.mark.parametrize("direction", ["increase", "decrease"])
    def test_moving_the_wrong_way_is_red_even_early_in_the_window(self, direction):
        two_days_in = datetime(2026, 1, 3, 12, tzinfo=UTC)  # 2 % of the progress expected
        worse = {"increase": 97.0, "decrease": 20.5}[direction]

        score = score_kpi(kpi(direction=direction, latest=worse, latest_at=two_days_in), two_days_in)

        assert score.progress < 0
        assert score.status == RED, score.reason

    def test_no_change_at_the_start_is_green(self):
        day_one = datetime(2026, 1, 1, 12, tzinfo=UTC)

        assert status(kpi(latest=100.0, latest_at=day_one), day_one) == GREEN

    def test_the_gaps_come_from_settings(self, settings):
        settings.SCORECARD_AMBER_GAP = 0.25
        settings.SCORECARD_RED_GAP = 0.45

        assert status(kpi(latest=130.0)) == GREEN  # trails by 20 points
        assert status(kpi(latest=110.0)) == AMBER  # trails by 40 points
        assert status(kpi(latest=100.0)) == RED  # trails by 50 points

    def test_a_gap_equal_to_the_amber_gap_is_still_green(self, settings):
        # 25 % of the way with 50 % expected: a gap of exactly 0.25, which a float holds exactly.
        settings.SCORECARD_AMBER_GAP, settings.SCORECARD_RED_GAP = 0.25, 0.5

        assert status(kpi(latest=125.0)) == GREEN

    def test_a_gap_equal_to_the_red_gap_is_still_amber(self, settings):
        settings.SCORECARD_AMBER_GAP, settings.SCORECARD_RED_GAP = 0.1, 0.25

        assert status(kpi(latest=125.0)) == AMBER

    def test_a_leading_kpi_follows_the_same_rules(self):
        assert status(kpi("leading", latest=150.0)) == GREEN
        assert status(kpi("leading", latest=130.0)) == AMBER
        assert status(kpi("leading", latest=110.0)) == RED


class TestReasons:
    def test_progress_and_expectation_in_per_cent(self):
        assert score_kpi(kpi(latest=140.0), HALF_WAY).reason == (
            "40% of the way from baseline to target; 50% expected by today."
        )

    @pytest.mark.parametrize("direction", ["increase", "decrease"])
    def test_no_change_is_0_per_cent_and_not_moving_away(self, direction):
        # No change on a decreasing KPI is a progress of -0.0: it reads 0 %, not -0 %.
        baseline = {"increase": 100.0, "decrease": 20.0}[direction]

        score = score_kpi(kpi(direction=direction, latest=baseline), HALF_WAY)

        assert score.reason == "0% of the way from baseline to target; 50% expected by today."

    def test_moving_away_from_the_target_says_so(self):
        score = score_kpi(kpi(latest=97.0), HALF_WAY)

        assert score.reason == (
            "-3% of the way from baseline to target; 50% expected by today. It moved away from the target."
        )


class TestNoData:
    def test_without_a_measurement(self):
        score = score_kpi(kpi(latest=None), HALF_WAY)

        assert (score.status, score.latest_value, score.latest_at, score.progress) == (NO_DATA, None, None, None)
        assert score.stale
        assert "No measurement" in score.reason

    @pytest.mark.parametrize(
        "missing", ["baseline_value", "baseline_date", "target_value", "target_date"], ids=lambda f: f"no {f}"
    )
    def test_without_a_baseline_or_target(self, missing):
        score = score_kpi(kpi(latest=150.0, **{missing: None}), HALF_WAY)

        assert score.status == NO_DATA
        assert score.progress is None
        assert "baseline and target" in score.reason
        assert not score.stale  # the data is fresh, there is just nothing to measure it against

    def test_a_target_equal_to_the_baseline_measures_nothing(self):
        assert status(kpi(latest=150.0, target_value=100.0)) == NO_DATA

    def test_a_guardrail_without_a_measurement(self):
        assert status(kpi("guardrail", "decrease", latest=None)) == NO_DATA


class TestGuardrails:
    @pytest.mark.parametrize(
        ("latest", "expected"),
        [(0.0, GREEN), (4.9, GREEN), (5.0, GREEN), (5.1, RED), (50.0, RED)],
    )
    def test_a_maximum_for_a_kpi_that_should_decrease(self, latest, expected):
        score = score_kpi(kpi("guardrail", "decrease", latest=latest), HALF_WAY)

        assert score.status == expected
        assert ("within" if expected == GREEN else "outside") in score.reason
        assert "at most 5" in score.reason
        assert score.progress is None and score.expected is None

    @pytest.mark.parametrize(
        ("latest", "expected"),
        [(5.0, GREEN), (4.3, GREEN), (4.2, GREEN), (4.1, RED), (1.0, RED)],
    )
    def test_a_minimum_for_a_kpi_that_should_increase(self, latest, expected):
        score = score_kpi(kpi("guardrail", "increase", latest=latest), HALF_WAY)

        assert score.status == expected
        assert "at least 4.2" in score.reason

    def test_a_guardrail_ignores_baseline_and_target(self):
        far_behind = kpi(
            "guardrail",
            "decrease",
            latest=4.0,
            baseline_value=20.0,
            baseline_date=BASELINE_ON,
            target_value=1.0,
            target_date=TARGET_ON,
        )

        assert status(far_behind) == GREEN


class TestStale:
    @pytest.mark.parametrize(
        ("cadence", "period"),
        [("daily", timedelta(days=1)), ("weekly", timedelta(days=7)), ("monthly", timedelta(days=31))],
    )
    def test_stale_after_two_periods_of_the_cadence_and_not_before(self, cadence, period):
        on_the_edge = score_kpi(kpi(latest=150.0, cadence=cadence, latest_at=HALF_WAY - 2 * period), HALF_WAY)
        just_past = score_kpi(
            kpi(latest=150.0, cadence=cadence, latest_at=HALF_WAY - 2 * period - timedelta(seconds=1)), HALF_WAY
        )
        recent = score_kpi(kpi(latest=150.0, cadence=cadence, latest_at=HALF_WAY - period), HALF_WAY)

        assert not on_the_edge.stale
        assert not recent.stale
        assert just_past.stale
        assert f"no {cadence} point since" in just_past.reason
        assert just_past.status == GREEN  # staleness is shown beside the status, it does not change it

    def test_a_stale_guardrail_says_so(self):
        score = score_kpi(kpi("guardrail", "decrease", latest=1.0, latest_at=HALF_WAY - timedelta(days=30)), HALF_WAY)

        assert score.stale and score.status == GREEN


class TestExpectedProgress:
    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (datetime(2025, 12, 1, tzinfo=UTC), 0.0),  # before the baseline date: clamped at 0
            (datetime(2026, 1, 1, 23, tzinfo=UTC), 0.0),  # the baseline date itself
            (datetime(2026, 1, 26, tzinfo=UTC), 0.25),
            (datetime(2026, 2, 20, tzinfo=UTC), 0.5),
            (datetime(2026, 3, 17, tzinfo=UTC), 0.75),
            (datetime(2026, 4, 11, tzinfo=UTC), 1.0),  # the target date
            (datetime(2027, 1, 1, tzinfo=UTC), 1.0),  # long after: clamped at 1
        ],
    )
    def test_linear_from_baseline_date_to_target_date(self, now, expected):
        assert score_kpi(kpi(latest=150.0, latest_at=now), now).expected == pytest.approx(expected)

    def test_a_target_date_on_the_baseline_date_expects_all_the_progress(self):
        # The services refuse such a KPI; scoring one must not divide by zero days.
        score = score_kpi(kpi(latest=150.0, target_date=BASELINE_ON), HALF_WAY)

        assert (score.expected, score.status) == (1.0, RED)  # half-way, with all of it expected

    def test_a_one_day_span_expects_nothing_on_its_first_day(self):
        day_one = datetime(2026, 1, 1, 12, tzinfo=UTC)
        one_day = kpi(latest=150.0, latest_at=day_one, target_date=BASELINE_ON + timedelta(days=1))

        assert score_kpi(one_day, day_one).expected == 0.0
        assert score_kpi(one_day, day_one + timedelta(days=1)).expected == 1.0

    def test_the_expectation_moves_the_status(self):
        # 30 % of the way: green while 30 % is expected, red once 75 % is.
        assert status(kpi(latest=130.0), datetime(2026, 1, 31, tzinfo=UTC)) == GREEN
        assert status(kpi(latest=130.0), datetime(2026, 3, 17, tzinfo=UTC)) == RED


def scored(kind: str, status: str, *, stale: bool = False) -> KpiScore:
    template = score_kpi(kpi(latest=150.0), HALF_WAY)
    return replace(
        template,
        key=f"{kind}-{status}",
        kind=kind,
        status=status,
        stale=stale or status == NO_DATA,
        latest_value=None if status == NO_DATA else 1.0,
    )


class TestHealth:
    @pytest.mark.parametrize(
        ("scores", "health"),
        [
            ([("lagging", GREEN), ("guardrail", GREEN)], GREEN),
            ([("lagging", GREEN), ("guardrail", RED)], RED),
            ([("lagging", AMBER), ("guardrail", GREEN)], AMBER),
            ([("lagging", AMBER), ("lagging", RED), ("guardrail", GREEN)], RED),
            ([("lagging", GREEN), ("leading", RED)], GREEN),  # leading KPIs do not count
            ([("lagging", NO_DATA), ("guardrail", AMBER)], AMBER),  # only KPIs with data count
            ([("lagging", NO_DATA), ("guardrail", NO_DATA)], NO_DATA),
            ([("leading", GREEN)], NO_DATA),
            ([], NO_DATA),
        ],
    )
    def test_the_weakest_of_lagging_and_guardrail_kpis_with_data(self, scores, health):
        assert health_of([scored(kind, s) for kind, s in scores])[0] == health

    def test_confidence_is_fresh_when_every_counted_kpi_is_fresh(self):
        scores = [scored("lagging", GREEN), scored("guardrail", GREEN), scored("leading", AMBER, stale=True)]

        assert health_of(scores) == (GREEN, "fresh")

    def test_confidence_is_stale_when_a_counted_kpi_is_stale(self):
        assert health_of([scored("lagging", GREEN), scored("guardrail", GREEN, stale=True)]) == (GREEN, "stale")

    def test_confidence_is_stale_when_a_counted_kpi_has_no_data(self):
        assert health_of([scored("lagging", GREEN), scored("guardrail", NO_DATA)]) == (GREEN, "stale")

    def test_confidence_is_stale_without_any_counted_kpi(self):
        assert health_of([scored("leading", GREEN)]) == (NO_DATA, "stale")


def hours_kpi(measure: str, latest: float | None) -> Kpi:
    return kpi("leading", value_measure=measure, latest=latest)


def charter_of(cost=None, volume=None) -> Initiative:
    initiative = Initiative(title="Unsaved", stage=Stage.MEASURE_IMPACT)
    Charter(initiative=initiative, cost_per_1000_inferences=cost, expected_monthly_volume=volume)
    return initiative


class TestValueAndCost:
    def test_hours_are_priced_at_the_hourly_rate(self, settings):
        settings.VALUE_HOURLY_RATE = 80
        kpis = [
            hours_kpi(Kpi.ValueMeasure.TIME_SAVED, 10.0),
            hours_kpi(Kpi.ValueMeasure.TIME_SAVED, 5.0),
            hours_kpi(Kpi.ValueMeasure.TIME_REALLOCATED, 4.0),
            hours_kpi(Kpi.ValueMeasure.TIME_REALLOCATED, None),  # no data yet: adds nothing
            kpi(latest=150.0),  # not a value KPI
        ]

        value = value_and_cost(charter_of(), kpis)

        assert value["time_saved_hours"] == 15.0
        assert value["modelled_value"] == 15.0 * 80
        assert value["time_reallocated_hours"] == 4.0
        assert value["realised_value"] == 4.0 * 80

    def test_no_value_without_value_kpis_or_their_data(self):
        value = value_and_cost(charter_of(), [kpi(latest=150.0), hours_kpi(Kpi.ValueMeasure.TIME_SAVED, None)])

        assert value["time_saved_hours"] is None and value["modelled_value"] is None
        assert value["time_reallocated_hours"] is None and value["realised_value"] is None

    def test_cost_per_transaction_monthly_and_at_twice_the_volume(self):
        value = value_and_cost(charter_of(Decimal("2.5000"), 120_000), [])

        assert value["cost_per_transaction"] == pytest.approx(0.0025)
        assert value["monthly_cost"] == pytest.approx(300.0)
        assert value["monthly_cost_at_2x"] == pytest.approx(600.0)

    def test_no_cost_without_the_charter_figures(self):
        unknown = value_and_cost(charter_of(None, 120_000), [])
        no_volume = value_and_cost(charter_of(Decimal("2.5"), None), [])

        assert (unknown["cost_per_transaction"], unknown["monthly_cost"], unknown["monthly_cost_at_2x"]) == (
            None,
            None,
            None,
        )
        assert no_volume["cost_per_transaction"] == pytest.approx(0.0025)
        assert (no_volume["monthly_cost"], no_volume["monthly_cost_at_2x"]) == (None, None)


# Failure modes read the initiative's roles and gate reviews, so these build real initiatives.


def launch(initiative, *, pm, sponsor, risk, data) -> Initiative:
    """Through charter sign-off and foundation ready, with the gate services."""
    pass_charter_signoff(initiative, requester=pm, approver=sponsor)
    give_role(initiative, Role.SECURITY_RISK, risk, by=pm)
    give_role(initiative, Role.DATA_PLATFORM, data, by=pm)
    pass_gate(initiative, requester=pm, approvers=[risk, data])
    assert initiative.stage == Stage.MEASURE_IMPACT
    return initiative


def add_kpi(initiative, user, key, kind="lagging", **fields):
    driver = Driver.objects.filter(objective__initiative=initiative).first()
    if driver is None:
        driver = kpi_services.add_driver(initiative.pk, acting_user=user, name="Faster handling")
    spec = {
        "key": key,
        "name": key.split(".")[-1].replace("-", " ").capitalize(),
        "unit": "minutes",
        "kind": kind,
        "direction": "decrease",
        "cadence": "weekly",
    }
    if kind == "guardrail":
        spec["guardrail_bound"] = 5.0
    else:
        spec |= {
            "baseline_value": 12.0,
            "baseline_date": timezone.localdate() - timedelta(days=30),
            "target_value": 9.0,
            "target_date": timezone.localdate() + timedelta(days=60),
        }
    return kpi_services.add_kpi(initiative.pk, acting_user=user, driver=driver, **{**spec, **fields})


def push(user, key, value, at):
    record_measurements([{"kpi": key, "timestamp": at.isoformat(), "value": value}], acting_user=user)


def flags_of(initiative, now=None) -> dict[str, str]:
    """The failure modes in words, from the Python rules, once the SQL recompute has found the same."""
    [card] = assert_sql_matches_python([initiative], now or timezone.now())
    return {flag["code"]: flag["reason"] for flag in card.flags}


@pytest.mark.django_db
class TestFailureModes:
    def test_pilot_theater_when_early_for_longer_than_the_limit(self, initiative, alice, settings):
        settings.PILOT_THEATER_DAYS = 90
        today = timezone.localdate()

        initiative_services.update_initiative(initiative.pk, acting_user=alice, started_on=today - timedelta(days=90))
        assert "pilot-theater" not in flags_of(initiative)

        initiative_services.update_initiative(initiative.pk, acting_user=alice, started_on=today - timedelta(days=91))
        assert "91 days since start" in flags_of(initiative)["pilot-theater"]

    def test_pilot_theater_also_in_secure_foundation(self, initiative, alice, sam):
        pass_charter_signoff(initiative, requester=alice, approver=sam)
        initiative_services.update_initiative(
            initiative.pk, acting_user=alice, started_on=timezone.localdate() - timedelta(days=200)
        )

        assert "pilot-theater" in flags_of(initiative)

    def test_no_pilot_theater_for_a_long_start_once_launched_with_data(self, initiative, alice, sam, rita, dana):
        add_kpi(initiative, alice, "rules.handle-time")
        initiative_services.update_initiative(
            initiative.pk, acting_user=alice, started_on=timezone.localdate() - timedelta(days=200)
        )
        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)
        push(alice, "rules.handle-time", 11.0, timezone.now())

        assert "pilot-theater" not in flags_of(initiative)

    def test_pilot_theater_when_launched_without_data_since_launch(self, initiative, alice, sam, rita, dana):
        add_kpi(initiative, alice, "rules.handle-time")
        push(alice, "rules.handle-time", 12.0, timezone.now() - timedelta(days=3))  # before launch
        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)

        assert flags_of(initiative)["pilot-theater"] == "Launched, but no KPI has a measurement since launch."

        push(alice, "rules.handle-time", 11.5, timezone.now())

        assert "pilot-theater" not in flags_of(initiative)

    def test_launch_is_when_the_foundation_gate_approved(self, initiative, alice, sam, rita, dana):
        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)
        approved = GateReview.objects.get(initiative=initiative, to_stage=Stage.MEASURE_IMPACT)
        loaded = with_scorecard_data(Initiative.objects.filter(pk=initiative.pk)).get()

        assert launched_at(loaded) == approved.closed_at

    def test_launch_stays_the_foundation_approval_once_a_later_gate_closes(
        self, initiative, alice, sam, rita, dana, lee
    ):
        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)
        approved = GateReview.objects.get(initiative=initiative, to_stage=Stage.MEASURE_IMPACT)
        scale_out = request(initiative, alice)
        decide(scale_out, sam)
        decide(scale_out, lee)
        loaded = with_scorecard_data(Initiative.objects.filter(pk=initiative.pk)).get()

        assert loaded.stage == Stage.STANDARDIZE_REUSE
        assert GateReview.objects.get(pk=scale_out.pk).closed_at > approved.closed_at
        assert launched_at(loaded) == approved.closed_at

    def test_no_launch_before_measure_impact(self, initiative, alice, sam):
        pass_charter_signoff(initiative, requester=alice, approver=sam)

        assert launched_at(Initiative.objects.get(pk=initiative.pk)) is None

    def test_no_scale_owner_when_launched_without_a_service_owner(self, initiative, alice, sam, rita, dana, lee):
        assert "no-scale-owner" not in flags_of(initiative)  # not launched yet: nobody needs one

        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)
        assert flags_of(initiative)["no-scale-owner"] == "Launched without an AI service owner."

        give_role(initiative, Role.SERVICE_OWNER, lee, by=alice)
        assert "no-scale-owner" not in flags_of(initiative)

    def test_stale_data_on_a_launched_initiative(self, initiative, alice, sam, rita, dana):
        add_kpi(initiative, alice, "rules.handle-time", cadence="daily")
        add_kpi(initiative, alice, "rules.share-assisted", kind="leading", cadence="daily")
        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)
        now = timezone.now()
        push(alice, "rules.share-assisted", 12.0, now - timedelta(days=5))  # leading: does not count
        push(alice, "rules.handle-time", 11.0, now - timedelta(days=2, seconds=1))
        # Launched just now, so the stale point predates launch; the flag only looks at staleness.

        assert flags_of(initiative, now)["stale-data"] == "No recent data for Handle time."

        push(alice, "rules.handle-time", 10.5, now)

        assert "stale-data" not in flags_of(initiative, now)

    def test_stale_data_names_the_first_three_stale_kpis(self, initiative, alice, sam, rita, dana):
        names = ["rules.wait-time", "rules.reopen-rate", "rules.escalations", "rules.backlog"]
        for key in names:
            add_kpi(initiative, alice, key, cadence="daily")
        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)
        now = timezone.now()
        for key in names:
            push(alice, key, 11.0, now - timedelta(days=3))

        assert flags_of(initiative, now)["stale-data"] == "No recent data for Wait time, Reopen rate, Escalations."

    def test_approval_overdue_when_a_review_is_open_past_its_policy_days(self, initiative, alice):
        review = request(initiative, alice)
        due_days = review.policy.review_due_days
        assert "approval-overdue" not in flags_of(initiative)

        GateReview.objects.filter(pk=review.pk).update(requested_at=timezone.now() - timedelta(days=due_days - 1))
        assert "approval-overdue" not in flags_of(initiative)  # still a day to go

        # Whole days past, as timedelta.days counts them: 3 days and 18 hours is 3, not 4.
        overdue = timedelta(days=due_days + 3, hours=18)
        GateReview.objects.filter(pk=review.pk).update(requested_at=timezone.now() - overdue)

        assert flags_of(initiative)["approval-overdue"] == "Charter sign-off is 3 day(s) past its due date."

    def test_behind_plan_when_a_milestone_date_passes_before_its_gate(self, initiative, alice, sam):
        today = timezone.localdate()
        plan_dates = Charter.objects.filter(initiative=initiative)
        plan_dates.update(scorecard_due_on=today, foundation_due_on=today + timedelta(days=30))
        assert "behind-plan" not in flags_of(initiative)  # due today: not yet missed

        plan_dates.update(scorecard_due_on=today - timedelta(days=3))
        assert flags_of(initiative)["behind-plan"] == "Day 30 milestone (charter signed off) is 3 day(s) past its date."

        pass_charter_signoff(initiative, requester=alice, approver=sam)
        assert "behind-plan" not in flags_of(initiative)  # reached, if late; day 60 is a month away

        plan_dates.update(foundation_due_on=today - timedelta(days=1), launch_due_on=today - timedelta(days=1))
        assert flags_of(initiative)["behind-plan"] == (
            "Day 60 milestone (foundation hardened and tested) is 1 day(s) past its date."
        )  # the earliest milestone missed, one flag

    def test_a_closed_review_is_never_overdue(self, initiative, alice, sam):
        review = pass_charter_signoff(initiative, requester=alice, approver=sam)
        GateReview.objects.filter(pk=review.pk).update(requested_at=timezone.now() - timedelta(days=60))

        assert "approval-overdue" not in flags_of(initiative)

    @pytest.mark.parametrize(("decision", "status"), [("kill", "killed"), ("hold", "on-hold")])
    def test_no_flags_once_killed_or_on_hold(self, initiative, alice, sam, rita, dana, decision, status):
        add_kpi(initiative, alice, "rules.handle-time", cadence="daily")
        push(alice, "rules.handle-time", 12.0, timezone.now() - timedelta(days=3))  # stale, and before launch
        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)
        review = request(initiative, alice)
        GateReview.objects.filter(pk=review.pk).update(requested_at=timezone.now() - timedelta(days=60))
        assert set(flags_of(initiative)) == {"pilot-theater", "no-scale-owner", "stale-data", "approval-overdue"}

        decide(review, sam, decision, comment="Stop here: the pilot did not prove its outcome.")
        initiative.refresh_from_db()

        assert initiative.status == status
        assert flags_of(initiative) == {}  # SQL and Python alike

    def test_the_scorecard_carries_the_flags(self, initiative, alice, sam, rita, dana):
        launch(initiative, pm=alice, sponsor=sam, risk=rita, data=dana)

        [card] = compute_many(Initiative.objects.filter(pk=initiative.pk))

        assert {f["code"] for f in card.flags} == {"pilot-theater", "no-scale-owner"}
        assert card.next_gate == "scale-out" and card.readiness_total == 7
        assert "service-owner" in card.missing_roles
