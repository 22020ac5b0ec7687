"""Cohort adoption: power users, occasional users and non-adopters as shares of the charter's target cohort.

A KPI is marked with the cohort it counts (Kpi.cohort, from the cohort-adoption template or by hand), its
points arrive over the ordinary ingest, the scorecard carries the newest mix, and the outcome tree tab and
the scale-out decision pack draw the mix over time. The criterion's rule is tested with the other scale-out
criteria (tests/test_scale_out_criteria.py) and against the SQL recompute (tests/test_scorecard_sql.py).
"""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from governance.models import Gate, GateReview
from governance.services import request_review
from initiatives import services as initiative_services
from initiatives.models import Role
from kpis import charts
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import Kpi, Measurement
from kpis.recompute import recompute_scorecards
from opmodel.compat import UTC
from tests.lifecycle import api_as, assert_problem, give_role, pass_charter_signoff, pass_gate

pytestmark = pytest.mark.django_db

COHORTS = ("power-users", "occasional-users", "non-adopters")


@pytest.fixture
def cohort_kpis(initiative, alice) -> dict[str, Kpi]:
    """The cohort-adoption template on Alice's initiative, with a target cohort of 140 and a 70 % target."""
    kpi_services.apply_template(initiative.pk, acting_user=alice, template="cohort-adoption")
    initiative_services.update_charter(initiative.pk, acting_user=alice, target_cohort_size=140, adoption_target=70)
    return {k.key.removeprefix(f"{initiative.slug}."): k for k in Kpi.objects.filter(initiative=initiative)}


def mix_week(slug: str, at: datetime, power: float, occasional: float, non_adopters: float, **kw) -> list[dict]:
    """One period's three shares as ingest items."""
    return [
        {"kpi": f"{slug}.{suffix}", "timestamp": at.isoformat(), "value": value, **kw}
        for suffix, value in zip(COHORTS, (power, occasional, non_adopters), strict=True)
    ]


class TestTheKpis:
    def test_the_template_marks_each_kpi_with_its_cohort_as_a_share(self, cohort_kpis):
        marks = {suffix: (k.cohort, k.unit, k.kind, k.direction) for suffix, k in cohort_kpis.items()}

        assert marks == {
            "power-users": ("power", "%", "leading", "increase"),
            "occasional-users": ("occasional", "%", "leading", "increase"),
            "non-adopters": ("non-adopter", "%", "leading", "decrease"),
        }

    def test_a_second_kpi_for_a_cohort_is_refused_by_the_service(self, cohort_kpis, initiative, alice):
        with pytest.raises(ValidationError) as refused:
            kpi_services.add_kpi(
                initiative.pk,
                acting_user=alice,
                driver=cohort_kpis["power-users"].driver,
                key=f"{initiative.slug}.champions",
                name="Champions",
                unit="%",
                kind="leading",
                direction="increase",
                cohort="power",
            )

        assert refused.value.message_dict == {
            "cohort": [
                "This initiative counts its power users already, in Power users in target cohort "
                f"({initiative.slug}.power-users)."
            ]
        }
        assert not Kpi.objects.filter(key=f"{initiative.slug}.champions").exists()

    def test_a_kpi_may_keep_its_own_cohort_when_edited(self, cohort_kpis, alice):
        kpi = kpi_services.update_kpi(cohort_kpis["power-users"].pk, acting_user=alice, name="Daily users")

        assert (kpi.name, kpi.cohort) == ("Daily users", "power")

    def test_the_kpi_api_takes_and_shows_the_cohort(self, cohort_kpis, initiative, alice):
        client = api_as(alice)
        kpi_services.update_kpi(cohort_kpis["non-adopters"].pk, acting_user=alice, cohort="")

        response = client.patch(
            f"/api/v1/kpis/{initiative.slug}.non-adopters/", {"cohort": "non-adopter"}, format="json"
        )

        assert response.status_code == 200, response.content
        assert response.json()["cohort"] == "non-adopter"
        refused = client.patch(f"/api/v1/kpis/{initiative.slug}.non-adopters/", {"cohort": "fans"}, format="json")
        assert_problem(refused, 400, "cohort")


class TestIngestAndScorecard:
    def test_the_mix_arrives_over_the_ordinary_ingest_and_the_scorecard_carries_it(
        self, cohort_kpis, initiative, alice
    ):
        client = api_as(alice)
        at = timezone.now() - timedelta(days=1)
        batch = {"measurements": mix_week(initiative.slug, at, 38.5, 31.0, 30.5)}

        first = client.post("/api/v1/measurements/", batch, format="json")
        replay = client.post("/api/v1/measurements/", batch, format="json")
        recompute_scorecards(full=True)
        card = client.get(f"/api/v1/initiatives/{initiative.slug}/scorecard/").json()

        assert first.json() == {"received": 3, "created": 3, "updated": 0, "unchanged": 0}
        assert replay.json() == {"received": 3, "created": 0, "updated": 0, "unchanged": 3}
        assert card["cohort_mix"] == [
            {"cohort": "power", "label": "Power users", "share": 38.5},
            {"cohort": "occasional", "label": "Occasional users", "share": 31.0},
            {"cohort": "non-adopter", "label": "Non-adopters", "share": 30.5},
        ]
        rows = {row["key"]: row["cohort"] for row in card["kpis"]}
        assert rows[f"{initiative.slug}.power-users"] == "power"

    def test_a_bad_item_writes_no_cohort_share_at_all(self, cohort_kpis, initiative, alice):
        items = mix_week(initiative.slug, timezone.now(), 40, 30, 30)
        items[1]["value"] = "plenty"

        response = api_as(alice).post("/api/v1/measurements/", {"measurements": items}, format="json")

        body = assert_problem(response, 400)
        assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "value")]
        assert not Measurement.objects.exists()

    def test_a_cohort_not_measured_yet_is_null_and_no_cohort_kpi_is_an_empty_mix(self, cohort_kpis, initiative, alice):
        record_measurements(
            [{"kpi": f"{initiative.slug}.power-users", "timestamp": timezone.now().isoformat(), "value": 12.0}],
            acting_user=alice,
        )
        recompute_scorecards(full=True)
        client = api_as(alice)

        shares = [
            c["share"] for c in client.get(f"/api/v1/initiatives/{initiative.slug}/scorecard/").json()["cohort_mix"]
        ]
        Kpi.objects.filter(initiative=initiative).update(cohort="")

        assert shares == [12.0, None, None]
        assert client.get(f"/api/v1/initiatives/{initiative.slug}/scorecard/").json()["cohort_mix"] == []

    def test_the_schema_types_the_mix_the_cohort_and_the_charter_fields(self, client):
        schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]

        cohort = schemas["ScorecardCohort"]["properties"]
        assert cohort["share"]["nullable"] is True and cohort["share"]["type"] == "number"
        assert schemas["Scorecard"]["properties"]["cohort_mix"]["items"]["$ref"].endswith("/ScorecardCohort")
        assert set(schemas["CohortEnum"]["enum"]) == {"power", "occasional", "non-adopter"}
        charter = schemas["Charter"]["properties"]
        assert charter["target_cohort_size"]["minimum"] == 0
        assert (charter["adoption_target"]["minimum"], charter["adoption_target"]["maximum"]) == (0, 100)


class TestTheChart:
    def test_each_period_stacks_the_three_shares_under_the_adoption_target(self, cohort_kpis, initiative, alice):
        weeks = [datetime(2026, 9, 7, 9, tzinfo=UTC) + timedelta(weeks=n) for n in range(3)]
        items = []
        for at, mix in zip(weeks, [(10, 20, 70), (25, 30, 45), (40, 32, 28)], strict=True):
            items += mix_week(initiative.slug, at, *mix)
        # A second source at the newest period: the first by name (api) counts, as for a KPI's newest point.
        items += mix_week(initiative.slug, weeks[-1], 1, 1, 98, source="survey")
        record_measurements(items, acting_user=alice)

        mix = charts.cohort_mix(initiative, days=3650)

        bars = mix["figure"]["data"][:3]
        assert [(b["type"], b["name"]) for b in bars] == [
            ("bar", "Power users"),
            ("bar", "Occasional users"),
            ("bar", "Non-adopters"),
        ]
        assert [b["y"] for b in bars] == [[10, 25, 40], [20, 30, 32], [70, 45, 28]]
        assert mix["figure"]["layout"]["barmode"] == "stack"
        target = mix["figure"]["data"][3]
        assert (target["name"], target["y"]) == ("Adoption target (70 %)", [70, 70])
        assert [(r["adopters"], r["people"]) for r in mix["rows"]] == [(30, 42), (55, 77), (72, 101)]
        assert mix["latest"]["at"] == weeks[-1]

    def test_no_cohort_kpi_no_chart(self, initiative):
        assert charts.cohort_mix(initiative) is None

    def test_adopters_need_both_adopting_cohorts(self, cohort_kpis, initiative, alice):
        record_measurements(
            [{"kpi": f"{initiative.slug}.power-users", "timestamp": timezone.now().isoformat(), "value": 50.0}],
            acting_user=alice,
        )

        [row] = charts.cohort_mix(initiative)["rows"]

        assert (row["adopters"], row["people"]) == (None, None)
        assert [cell["share"] for cell in row["shares"]] == [50.0, None, None]


def _tree_tab(client, initiative):
    return client.get(initiative.get_absolute_url(), {"tab": "tree"})


class TestTheTreeTab:
    def test_it_draws_the_mix_as_an_image_with_its_words_and_data(self, client, cohort_kpis, initiative, alice):
        now = timezone.now()
        record_measurements(mix_week(initiative.slug, now - timedelta(days=8), 30, 30, 40), acting_user=alice)
        record_measurements(mix_week(initiative.slug, now - timedelta(days=1), 45, 30.5, 24.5), acting_user=alice)
        client.force_login(alice)

        html = _tree_tab(client, initiative).content.decode()

        assert 'role="img" aria-labelledby="cohort-mix-caption" aria-describedby="cohort-mix-said"' in html
        assert "Cohort mix over time: share of the target cohort per period, against the adoption target" in html
        assert "Adopters (power and occasional users): <strong>75.5 %</strong>, about 106 of the 140 people" in html
        assert "adoption target 70 %, met." in html
        assert html.count('<tr><th scope="row">') >= 2  # one row per period under "Show data"

    def test_it_names_what_the_charter_still_lacks(self, client, cohort_kpis, initiative, alice):
        initiative_services.update_charter(initiative.pk, acting_user=alice, target_cohort_size=None)
        client.force_login(alice)

        html = _tree_tab(client, initiative).content.decode()

        assert "No cohort share measured in the last year yet" in html
        assert "The charter does not state the target cohort's size yet." in html

    def test_without_cohort_kpis_there_is_no_section(self, client, initiative, alice):
        client.force_login(alice)

        assert 'id="cohort-adoption"' not in _tree_tab(client, initiative).content.decode()

    def test_the_chart_costs_the_same_queries_for_a_week_or_a_year(
        self, client, cohort_kpis, initiative, alice, django_assert_max_num_queries
    ):
        start = timezone.now() - timedelta(days=360)
        record_measurements(mix_week(initiative.slug, start, 30, 30, 40), acting_user=alice)
        client.force_login(alice)
        with django_assert_max_num_queries(40) as few:
            _tree_tab(client, initiative)
        year = [mix_week(initiative.slug, start + timedelta(weeks=n), 30, 30, 40) for n in range(1, 52)]
        record_measurements([item for week in year for item in week], acting_user=alice)

        with django_assert_max_num_queries(len(few.captured_queries)):
            response = _tree_tab(client, initiative)

        assert len(response.context["cohort_mix"]["rows"]) == 52


@pytest.fixture
def scale_out_review(cohort_kpis, initiative, alice, sam, rita, dana, lee):
    """Alice's initiative launched, with a mix measured, and its scale-out review requested (with an override:
    the rest of the evidence is not the point here)."""
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    pass_gate(initiative, requester=alice, approvers=[rita, dana])
    record_measurements(mix_week(initiative.slug, timezone.now() - timedelta(days=2), 20, 35, 45), acting_user=alice)
    return request_review(initiative.pk, acting_user=alice, override_reason="Adoption is the question for the CTO.")


class TestTheDecisionPack:
    def test_the_scale_out_pack_shows_the_mix_and_the_criterion(self, client, scale_out_review, lee):
        client.force_login(lee)

        response = client.get(reverse("governance:approval_detail", args=[scale_out_review.pk]))

        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="cohort-adoption"' in html and 'data-figure="cohort-mix"' in html
        assert "adoption target 70 %, not met yet." in html
        assert "Adoption in the target cohort at or above its target" in html
        assert "Most adopters stay occasional: look at training." in html
        assert "<dt>Target cohort</dt><dd>140 people; adoption target 70 %</dd>" in html  # what is approved
        assert "vendor/plotly-cartesian.min.js" in html

    def test_an_earlier_gates_pack_has_no_mix(self, client, cohort_kpis, initiative, alice, sam):
        review = request_review(initiative.pk, acting_user=alice, override_reason="Early look.")
        client.force_login(sam)

        html = client.get(reverse("governance:approval_detail", args=[review.pk])).content.decode()

        assert review.gate == Gate.CHARTER_SIGNOFF
        assert 'id="cohort-adoption"' not in html
        assert GateReview.objects.count() == 1


def test_the_overview_scorecard_lists_the_newest_mix(client, cohort_kpis, initiative, alice):
    record_measurements(
        [{"kpi": f"{initiative.slug}.power-users", "timestamp": timezone.now().isoformat(), "value": 44.5}],
        acting_user=alice,
    )
    recompute_scorecards(full=True)
    client.force_login(alice)

    html = client.get(initiative.get_absolute_url()).content.decode()

    mix = html[html.index('id="scorecard-cohorts"') :]
    assert 'Power users 44.5 %<br>Occasional users <span class="muted">not measured</span>' in mix


def test_the_migration_adds_the_criterion_without_changing_a_version_a_review_ran_under(scale_out_review):
    """governance/0020 on a deployment: the medium-risk scale-out version in force has a review, so the criterion
    comes in a new published version; the low-risk version no review used takes it in place."""
    from importlib import import_module

    from django.apps import apps

    from governance.models import GatePolicy

    migration = import_module("governance.migrations.0020_scale_out_cohort_adoption")
    scale_out = GatePolicy.objects.filter(gate=Gate.SCALE_OUT)
    for policy in scale_out:  # as before the migration
        scale_out.filter(pk=policy.pk).update(criteria=[k for k in policy.criteria if k != "cohort-adoption"])
    ran_under = scale_out_review.policy
    low_before = GatePolicy.objects.current(Gate.SCALE_OUT, "low").version

    migration.forwards(apps, None)
    migration.forwards(apps, None)  # a rerun adds nothing

    ran_under.refresh_from_db()
    assert "cohort-adoption" not in ran_under.criteria
    current = GatePolicy.objects.current(Gate.SCALE_OUT, ran_under.risk_tier)
    assert (current.version, current.criteria[-1], current.approver_slots) == (
        ran_under.version + 1,
        "cohort-adoption",
        ran_under.approver_slots,
    )
    low = GatePolicy.objects.current(Gate.SCALE_OUT, "low")
    assert (low.version, low.criteria[-1]) == (low_before, "cohort-adoption")
