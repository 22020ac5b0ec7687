"""Scale-out approval criteria, computed from the outcome tree and its measurements.

Each initiative here reaches measure-impact through the real gates, then gets its
launch backdated so the observation window can pass; KPIs and points go through
kpis.services and kpis.ingest, as the product writes them.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from governance import criteria as governance_criteria
from governance.errors import TransitionError
from governance.models import GateReview
from governance.services import criteria_for, request_review
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role, Stage
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import Kpi
from tests.lifecycle import (
    api_as,
    assert_problem,
    decide,
    give_role,
    pass_charter_signoff,
    pass_gate,
    support_tree,
)
from tests.scorecards import compute_many

pytestmark = pytest.mark.django_db

SCALE_OUT = [
    "baseline-before-launch",
    "observation-window",
    "lagging-kpis-moving",
    "guardrails-within-bounds",
    "cost-known-and-projected",
    "cohort-adoption",
    "after-action-review",
]
LAUNCHED_DAYS_AGO = 40
HANDLE_TIME, CSAT, ASSISTED = "support-triage.handle-time", "support-triage.csat", "support-triage.assisted-share"
# The cohort-adoption template's KPIs on the initiative (kpis.catalogue.COHORT_SET), keyed by its slug.
POWER, OCCASIONAL, NON_ADOPTERS = (
    f"support-triage-assistant.{k}" for k in ("power-users", "occasional-users", "non-adopters")
)


def build_tree(initiative, user):
    support_tree(initiative, user, prefix="support-triage")


def push(user, key, value, days_ago: float):
    at = timezone.now() - timedelta(days=days_ago)
    record_measurements([{"kpi": key, "timestamp": at.isoformat(), "value": value}], acting_user=user)


def backdate_launch(initiative, days: int):
    """Move the launch (the foundation approval and the stage entry) `days` into the past."""
    launch = timezone.now() - timedelta(days=days)
    approvals = GateReview.objects.filter(
        initiative=initiative, to_stage=Stage.MEASURE_IMPACT, status=GateReview.Status.APPROVED
    )
    assert approvals.update(closed_at=launch) == 1
    Initiative.objects.filter(pk=initiative.pk).update(stage_entered_at=launch)
    return launch


@pytest.fixture
def launched(initiative, alice, sam, rita, dana):
    """Measure-impact for 40 days, with a tree, its evidence and the charter's cost: every criterion passes."""
    build_tree(initiative, alice)
    kpi_services.apply_template(initiative.pk, acting_user=alice, template="cohort-adoption")
    initiative_services.update_charter(
        initiative.pk,
        acting_user=alice,
        cost_per_1000_inferences=Decimal("2.5"),
        expected_monthly_volume=100_000,
        target_cohort_size=140,
        adoption_target=70,
    )
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    pass_gate(initiative, requester=alice, approvers=[rita, dana])
    assert initiative.stage == Stage.MEASURE_IMPACT
    backdate_launch(initiative, LAUNCHED_DAYS_AGO)
    push(alice, HANDLE_TIME, 12.0, days_ago=LAUNCHED_DAYS_AGO - 1)
    push(alice, HANDLE_TIME, 10.5, days_ago=1)
    push(alice, ASSISTED, 35.0, days_ago=1)
    push(alice, CSAT, 4.5, days_ago=1)
    push(alice, POWER, 40.0, days_ago=1)
    push(alice, OCCASIONAL, 35.0, days_ago=1)
    push(alice, NON_ADOPTERS, 25.0, days_ago=1)
    kpi_services.save_after_action_review(
        initiative.pk,
        acting_user=alice,
        held_on=timezone.localdate() - timedelta(days=LAUNCHED_DAYS_AGO - 1),
        work_removed="Agents no longer tag tickets by hand.",
        work_replacing="They call back customers at risk of churning.",
        result="Handling time down from 12 to 10.5 minutes.",
        kpis=[Kpi.objects.get(key=HANDLE_TIME)],
    )
    return initiative


def criteria(initiative) -> dict:
    return {r.key: r for r in criteria_for(Initiative.objects.get(pk=initiative.pk))}


def failing(initiative) -> dict[str, str]:
    return {key: r.reason for key, r in criteria(initiative).items() if not r.passed}


def handle_time():
    return Kpi.objects.get(key=HANDLE_TIME)


class TestAllPass:
    def test_every_scale_out_criterion_passes_with_its_reason(self, launched):
        results = criteria_for(Initiative.objects.get(pk=launched.pk))

        assert [r.key for r in results] == SCALE_OUT
        assert [r.status for r in results] == ["pass"] * 7, [r.reason for r in results]
        reasons = {r.key: r.reason for r in results}
        assert reasons["baseline-before-launch"].startswith("Every lagging KPI has a baseline from before launch")
        assert reasons["observation-window"] == "40 days observed since launch (minimum 28)."
        assert reasons["lagging-kpis-moving"] == "Average handling time 50% of the way."
        assert reasons["guardrails-within-bounds"] == "All 1 guardrails within their bounds."
        assert reasons["cost-known-and-projected"] == (
            "EUR 0.0025 per transaction; EUR 250 a month now, EUR 500 at twice the volume."
        )
        assert reasons["cohort-adoption"] == (
            "75 % of the 140-person target cohort use it (about 105 people: power users 40 %, "
            "occasional users 35 %); target 70 %."
        )
        held = (timezone.localdate() - timedelta(days=LAUNCHED_DAYS_AGO - 1)).strftime("%d %b %Y")
        assert reasons["after-action-review"] == f"Held {held}; the result is shown by Average handling time."

    def test_the_review_is_requested_without_an_override_and_approved(self, launched, alice, sam, lee):
        review = request_review(launched.pk, acting_user=alice)

        assert review.gate == "scale-out" and review.override_reason == ""
        assert [r["status"] for r in review.criteria_results] == ["pass"] * 7
        decide(review, sam)
        decide(review, lee)
        launched.refresh_from_db()
        assert launched.stage == Stage.STANDARDIZE_REUSE

    def test_the_scorecard_counts_them_as_readiness(self, launched):
        [card] = compute_many(Initiative.objects.filter(pk=launched.pk))

        assert (card.next_gate, card.readiness_met, card.readiness_total) == ("scale-out", 7, 7)
        assert [c["key"] for c in card.criteria] == SCALE_OUT


def test_before_launch_the_launch_criteria_fail_as_not_launched(initiative, alice):
    build_tree(initiative, alice)

    results = governance_criteria.evaluate(Initiative.objects.get(pk=initiative.pk), SCALE_OUT[:2])

    assert [(r.status, r.reason) for r in results] == [("fail", "Not launched yet.")] * 2


class TestBaselineBeforeLaunch:
    def test_fails_for_a_baseline_dated_after_launch(self, launched, alice):
        launch_day = (timezone.now() - timedelta(days=LAUNCHED_DAYS_AGO)).date()
        kpi_services.update_kpi(handle_time().pk, acting_user=alice, baseline_date=launch_day + timedelta(days=1))

        reason = failing(launched)["baseline-before-launch"]

        assert reason.startswith("Baseline missing or taken after launch")
        assert reason.endswith(": Average handling time.")
        assert set(failing(launched)) == {"baseline-before-launch"}

    def test_passes_for_a_baseline_on_launch_day(self, launched, alice):
        launch_day = (timezone.now() - timedelta(days=LAUNCHED_DAYS_AGO)).date()
        kpi_services.update_kpi(handle_time().pk, acting_user=alice, baseline_date=launch_day)

        assert criteria(launched)["baseline-before-launch"].passed

    def test_fails_without_a_lagging_kpi(self, launched, alice):
        kpi_services.update_kpi(handle_time().pk, acting_user=alice, kind=Kpi.Kind.LEADING)

        assert failing(launched)["baseline-before-launch"] == "No lagging KPI to compare against a baseline."
        assert failing(launched)["lagging-kpis-moving"] == "No lagging KPI."


class TestObservationWindow:
    def test_fails_until_the_window_has_passed(self, launched):
        backdate_launch(launched, 10)

        assert failing(launched)["observation-window"] == "10 of 28 days observed since launch."

    def test_launch_is_the_foundation_approval_not_just_the_stage_entry(self, launched):
        # An old stage entry with a fresh approval time: the approval counts.
        GateReview.objects.filter(initiative=launched, to_stage=Stage.MEASURE_IMPACT).update(closed_at=timezone.now())

        assert failing(launched)["observation-window"] == "0 of 28 days observed since launch."

    def test_fails_without_a_lagging_point_after_the_window(self, launched, alice):
        # Points only in the first 28 days: the late point is replaced by an early one.
        handle_time().measurements.filter(timestamp__gt=timezone.now() - timedelta(days=2)).delete()
        push(alice, HANDLE_TIME, 10.5, days_ago=LAUNCHED_DAYS_AGO - 20)

        reason = failing(launched)["observation-window"]

        assert reason == "40 days since launch, but no lagging KPI was measured after day 28."

    def test_passes_on_the_day_the_window_ends(self, launched, alice):
        backdate_launch(launched, 28)
        push(alice, HANDLE_TIME, 10.5, days_ago=0)  # after day 28: the window's second condition holds

        result = criteria(launched)["observation-window"]

        assert (result.passed, result.reason) == (True, "28 days observed since launch (minimum 28).")

    def test_a_lagging_point_exactly_at_the_end_of_the_window_counts(self, launched, alice):
        launch = backdate_launch(launched, LAUNCHED_DAYS_AGO)
        end = launch + timedelta(days=28)
        handle_time().measurements.filter(timestamp__gt=end).delete()
        record_measurements([{"kpi": HANDLE_TIME, "timestamp": end.isoformat(), "value": 10.5}], acting_user=alice)

        assert criteria(launched)["observation-window"].passed

        handle_time().measurements.filter(timestamp=end).update(timestamp=end - timedelta(microseconds=1))
        assert not criteria(launched)["observation-window"].passed

    def test_the_window_comes_from_settings(self, launched, settings):
        settings.OBSERVATION_WINDOW_DAYS = 60

        assert failing(launched)["observation-window"] == "40 of 60 days observed since launch."


class TestLaggingKpisMoving:
    @pytest.mark.parametrize("latest", [12.0, 12.5], ids=["flat", "worse"])
    def test_fails_when_a_lagging_kpi_did_not_move_toward_target(self, launched, alice, latest):
        push(alice, HANDLE_TIME, latest, days_ago=0.5)

        reason = failing(launched)["lagging-kpis-moving"]

        assert reason == "Not moving toward target (or no data): Average handling time."

    def test_fails_for_a_lagging_kpi_without_data(self, launched, alice):
        driver = handle_time().driver
        kpi_services.add_kpi(
            launched.pk,
            acting_user=alice,
            driver=driver,
            key="support-triage.first-contact-resolution",
            name="First-contact resolution",
            unit="%",
            kind=Kpi.Kind.LAGGING,
            direction=Kpi.Direction.INCREASE,
            baseline_value=60.0,
            baseline_date=timezone.localdate() - timedelta(days=60),
            target_value=75.0,
            target_date=timezone.localdate() + timedelta(days=60),
        )

        assert "First-contact resolution" in failing(launched)["lagging-kpis-moving"]

    def test_a_leading_kpi_going_the_wrong_way_does_not_count(self, launched, alice):
        push(alice, ASSISTED, 0.0, days_ago=0.5)

        assert not failing(launched)


class TestGuardrails:
    def test_fails_when_a_guardrail_is_outside_its_bound(self, launched, alice):
        push(alice, CSAT, 4.0, days_ago=0.5)

        reason = failing(launched)["guardrails-within-bounds"]

        assert reason == "4 score is outside its bound (at least 4.2)."

    def test_fails_for_a_guardrail_without_data(self, launched):
        Kpi.objects.get(key=CSAT).measurements.all().delete()

        assert failing(launched)["guardrails-within-bounds"] == "No data for Customer satisfaction."

    def test_fails_without_any_guardrail(self, launched, alice):
        kpi_services.remove_kpi(Kpi.objects.get(key=CSAT).pk, acting_user=alice, confirmed=True)

        assert failing(launched)["guardrails-within-bounds"] == "No guardrail KPI defines what must not get worse."


class TestCost:
    @pytest.mark.parametrize(
        "missing",
        [{"cost_per_1000_inferences": None}, {"expected_monthly_volume": None}],
        ids=["no cost", "no volume"],
    )
    def test_fails_when_the_charter_lacks_cost_or_volume(self, launched, alice, missing):
        initiative_services.update_charter(launched.pk, acting_user=alice, **missing)

        assert failing(launched) == {
            "cost-known-and-projected": (
                "The charter needs the cost per 1,000 inferences and the expected monthly volume."
            )
        }

    def test_the_cost_per_transaction_and_a_month_are_the_charter_cost_over_1000(self, launched, alice):
        # Round figures that a divisor of 999 or 1001 would visibly change.
        initiative_services.update_charter(
            launched.pk, acting_user=alice, cost_per_1000_inferences=Decimal("1000"), expected_monthly_volume=1_000_000
        )

        assert criteria(launched)["cost-known-and-projected"].reason == (
            "EUR 1.0000 per transaction; EUR 1,000,000 a month now, EUR 2,000,000 at twice the volume."
        )


def add_kpis(initiative, user, kind, names, **fields):
    """More KPIs of `kind` under the handling-time driver, after the tree's own (in the order given)."""
    driver = handle_time().driver
    for name in names:
        key = f"support-triage.{name.lower().replace(' ', '-')}"
        kpi_services.add_kpi(initiative.pk, acting_user=user, driver=driver, key=key, name=name, kind=kind, **fields)


def lagging(initiative, user, *names):
    today = timezone.localdate()
    add_kpis(
        initiative,
        user,
        Kpi.Kind.LAGGING,
        names,
        unit="minutes",
        direction=Kpi.Direction.DECREASE,
        baseline_value=12.0,
        baseline_date=today - timedelta(days=60),
        target_value=9.0,
        target_date=today + timedelta(days=60),
    )


def guardrails(initiative, user, *names):
    add_kpis(initiative, user, Kpi.Kind.GUARDRAIL, names, unit="score", direction="increase", guardrail_bound=4.2)


class TestReasonsNameTheFirstFew:
    """A reason names at most three KPIs (two broken guardrails' own reasons), in the tree's order."""

    def test_baselines_after_launch(self, launched, alice):
        lagging(launched, alice, "Wait time", "Reopen rate", "Escalations")
        after_launch = (timezone.now() - timedelta(days=LAUNCHED_DAYS_AGO - 3)).date()
        for kpi in Kpi.objects.filter(kind=Kpi.Kind.LAGGING):
            kpi_services.update_kpi(kpi.pk, acting_user=alice, baseline_date=after_launch)

        reason = failing(launched)["baseline-before-launch"]

        assert reason.endswith("): Average handling time, Wait time, Reopen rate.")

    def test_lagging_kpis_not_moving(self, launched, alice):
        lagging(launched, alice, "Wait time", "Reopen rate", "Escalations")  # no data: not moving
        push(alice, HANDLE_TIME, 12.0, days_ago=0.5)  # back to baseline

        reason = failing(launched)["lagging-kpis-moving"]

        assert reason == "Not moving toward target (or no data): Average handling time, Wait time, Reopen rate."

    def test_lagging_kpis_moving(self, launched, alice):
        lagging(launched, alice, "Wait time", "Reopen rate", "Escalations")
        for key, value in [("wait-time", 11.4), ("reopen-rate", 10.8), ("escalations", 9.0)]:
            push(alice, f"support-triage.{key}", value, days_ago=1)

        result = criteria(launched)["lagging-kpis-moving"]

        assert result.passed
        assert result.reason == (
            "Average handling time 50% of the way, Wait time 20% of the way, Reopen rate 40% of the way."
        )

    def test_guardrails_outside_their_bounds(self, launched, alice):
        guardrails(launched, alice, "Agent satisfaction", "Accuracy")
        push(alice, CSAT, 4.0, days_ago=0.5)
        push(alice, "support-triage.agent-satisfaction", 3.0, days_ago=0.5)
        push(alice, "support-triage.accuracy", 2.0, days_ago=0.5)

        reason = failing(launched)["guardrails-within-bounds"]

        assert reason == "4 score is outside its bound (at least 4.2). 3 score is outside its bound (at least 4.2)."

    def test_guardrails_without_data(self, launched, alice):
        guardrails(launched, alice, "Agent satisfaction", "Accuracy", "Tone")
        Kpi.objects.get(key=CSAT).measurements.all().delete()

        reason = failing(launched)["guardrails-within-bounds"]

        assert reason == "No data for Customer satisfaction, Agent satisfaction, Accuracy."


def breach_guardrail(initiative, alice):
    push(alice, CSAT, 4.0, days_ago=0.5)


def baseline_after_launch(initiative, alice):
    launch_day = (timezone.now() - timedelta(days=LAUNCHED_DAYS_AGO)).date()
    kpi_services.update_kpi(handle_time().pk, acting_user=alice, baseline_date=launch_day + timedelta(days=3))


def window_not_passed(initiative, alice):
    backdate_launch(initiative, 5)


def lagging_flat(initiative, alice):
    push(alice, HANDLE_TIME, 12.0, days_ago=0.5)


def cost_missing(initiative, alice):
    initiative_services.update_charter(initiative.pk, acting_user=alice, cost_per_1000_inferences=None)


def adoption_short(initiative, alice):
    push(alice, OCCASIONAL, 29.5, days_ago=0.5)


class TestCohortAdoption:
    """Adopters (power and occasional users, the newest share of each) against the charter's adoption target,
    as shares of a target cohort of a stated size."""

    def test_fails_below_the_target_and_says_where_the_gap_sits(self, launched, alice):
        push(alice, POWER, 20.0, days_ago=0.5)

        assert failing(launched) == {
            "cohort-adoption": "55 % of the 140-person target cohort use it (about 77 people: power users 20 %, "
            "occasional users 35 %); target 70 %. Most adopters stay occasional: look at training."
        }

    def test_many_non_adopters_point_to_workflow_fit_and_trust(self, launched, alice):
        push(alice, OCCASIONAL, 10.0, days_ago=0.5)

        assert failing(launched)["cohort-adoption"].endswith("Many never adopted: look at workflow fit and trust.")

    def test_as_many_power_as_occasional_users_point_to_workflow_fit_and_trust(self, launched, alice):
        push(alice, POWER, 30.0, days_ago=0.5)
        push(alice, OCCASIONAL, 30.0, days_ago=0.5)

        assert failing(launched)["cohort-adoption"].endswith("Many never adopted: look at workflow fit and trust.")

    def test_passes_exactly_at_the_target(self, launched, alice):
        push(alice, OCCASIONAL, 30.0, days_ago=0.5)

        result = criteria(launched)["cohort-adoption"]

        assert result.passed, result.reason
        assert result.reason.startswith("70 % of the 140-person target cohort")

    def test_the_newest_share_counts_not_the_best(self, launched, alice):
        push(alice, POWER, 60.0, days_ago=3)  # older than the 40 % of the fixture
        push(alice, OCCASIONAL, 20.0, days_ago=0.5)

        assert "power users 40 %, occasional users 20 %" in failing(launched)["cohort-adoption"]

    def test_non_adopters_alone_do_not_count_as_adoption(self, launched):
        Kpi.objects.filter(key__in=[POWER, OCCASIONAL]).update(cohort="")

        assert failing(launched)["cohort-adoption"] == (
            "No share of power users or occasional users measured yet: mark a % KPI with each cohort and push it."
        )

    def test_a_cohort_kpi_without_a_point_fails(self, launched):
        Kpi.objects.get(key=OCCASIONAL).measurements.all().delete()

        assert failing(launched)["cohort-adoption"].startswith("No share of occasional users measured yet")

    def test_the_cohort_is_the_kpis_mark_not_its_key(self, launched, alice):
        # Cohorts swapped between two KPIs: the check follows the mark.
        Kpi.objects.filter(key=POWER).update(cohort="")
        Kpi.objects.filter(key=ASSISTED).update(cohort="power", unit="%")

        assert "power users 35 %" in criteria(launched)["cohort-adoption"].reason

    @pytest.mark.parametrize("missing", ["target_cohort_size", "adoption_target"])
    def test_fails_while_the_charter_does_not_state_the_cohort_or_its_target(self, launched, alice, missing):
        initiative_services.update_charter(launched.pk, acting_user=alice, **{missing: None})

        assert failing(launched)["cohort-adoption"] == (
            "The charter needs the target cohort's size (people) and its adoption target (%)."
        )

    def test_a_target_cohort_of_nobody_fails(self, launched, alice):
        initiative_services.update_charter(launched.pk, acting_user=alice, target_cohort_size=0)

        assert "cohort-adoption" in failing(launched)


class TestRequestingTheReview:
    @pytest.mark.parametrize(
        ("spoil", "label"),
        [
            (baseline_after_launch, "Baseline captured before launch"),
            (window_not_passed, "Minimum observation window passed"),
            (lagging_flat, "Lagging KPIs moved toward target"),
            (breach_guardrail, "Every guardrail KPI within its bound"),
            (cost_missing, "Cost per transaction known and projected at 2× volume"),
            (adoption_short, "Adoption in the target cohort at or above its target"),
        ],
        ids=["baseline", "window", "lagging", "guardrail", "cost", "cohort"],
    )
    def test_refused_without_an_override_while_a_criterion_fails(self, launched, alice, spoil, label):
        spoil(launched, alice)

        with pytest.raises(TransitionError, match="Gate criteria not met") as refused:
            request_review(launched.pk, acting_user=alice)

        assert label in str(refused.value)
        assert not GateReview.objects.filter(initiative=launched, gate="scale-out").exists()
        launched.refresh_from_db()
        assert launched.stage == Stage.MEASURE_IMPACT

    def test_an_override_reason_requests_it_anyway_and_is_recorded(self, launched, alice):
        breach_guardrail(launched, alice)

        review = request_review(launched.pk, acting_user=alice, override_reason="CSAT dip is a survey artefact.")

        assert review.override_reason == "CSAT dip is a survey artefact."
        statuses = {r["key"]: r["status"] for r in review.criteria_results}
        assert statuses["guardrails-within-bounds"] == "fail"

    def test_the_api_answers_409_then_201_once_the_evidence_is_in(self, launched, alice):
        client = api_as(alice)
        breach_guardrail(launched, alice)

        refused = client.post("/api/v1/gate-reviews/", {"initiative": launched.slug}, format="json")

        body = assert_problem(refused, 409)
        assert "Every guardrail KPI within its bound" in body["detail"]

        push(alice, CSAT, 4.4, days_ago=0.1)  # back inside the bound
        accepted = client.post("/api/v1/gate-reviews/", {"initiative": launched.slug}, format="json")

        assert accepted.status_code == 201, accepted.content
        assert accepted.json()["gate"] == "scale-out"
        assert GateReview.objects.get(initiative=launched, gate="scale-out").override_reason == ""
