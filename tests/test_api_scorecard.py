"""GET /api/v1/initiatives/<slug>/scorecard/ (latest or as of a date) and the health filter."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.models import Scorecard
from kpis.recompute import recompute_scorecards
from opmodel.compat import UTC
from tests.lifecycle import api_as, assert_problem


def card(initiative, when: datetime, health: str) -> Scorecard:
    return Scorecard.objects.create(
        initiative=initiative,
        computed_at=when,
        stage=initiative.stage,
        status=initiative.status,
        health=health,
        confidence="fresh",
    )


@pytest.fixture
def history(initiative):
    card(initiative, datetime(2026, 9, 1, 12, tzinfo=UTC), "green")
    card(initiative, datetime(2026, 10, 1, 12, tzinfo=UTC), "red")
    return initiative


def test_latest_scorecard(history, alice):
    response = api_as(alice).get(f"/api/v1/initiatives/{history.slug}/scorecard/")
    assert response.status_code == 200
    assert response.json()["health"] == "red"


@pytest.mark.parametrize(("as_of", "health"), [("2026-09-15", "green"), ("2026-10-01", "red"), ("2026-09-01", "green")])
def test_scorecard_as_of_a_past_date(history, alice, as_of, health):
    response = api_as(alice).get(f"/api/v1/initiatives/{history.slug}/scorecard/", {"as_of": as_of})
    assert response.json()["health"] == health


def test_before_the_first_scorecard_is_404(history, alice):
    response = api_as(alice).get(f"/api/v1/initiatives/{history.slug}/scorecard/", {"as_of": "2026-08-01"})
    assert_problem(response, 404)


def test_a_malformed_date_names_the_field(history, alice):
    response = api_as(alice).get(f"/api/v1/initiatives/{history.slug}/scorecard/", {"as_of": "last tuesday"})
    assert_problem(response, 400)
    assert response.json()["errors"][0]["field"] == "as_of"


def test_outsiders_get_404(history, charlie):
    assert_problem(api_as(charlie).get(f"/api/v1/initiatives/{history.slug}/scorecard/"), 404)


def test_a_recomputed_scorecard_is_served(initiative, alice):
    recompute_scorecards(full=True)
    body = api_as(alice).get(f"/api/v1/initiatives/{initiative.slug}/scorecard/").json()
    assert body["health"] == "no-data"
    assert body["next_gate"] == "charter-signoff"
    assert "executive-sponsor" not in body["missing_roles"] and "service-owner" in body["missing_roles"]
    assert body["readiness_total"] == 3


def test_initiatives_filter_by_latest_health(history, make_initiative, alice):
    other = make_initiative("Quote creation")
    card(other, datetime(2026, 10, 2, tzinfo=UTC), "green")
    client = api_as(alice)
    assert [i["slug"] for i in client.get("/api/v1/initiatives/", {"health": "red"}).json()["results"]] == [
        history.slug
    ]
    assert [i["slug"] for i in client.get("/api/v1/initiatives/", {"health": "green"}).json()["results"]] == [
        other.slug
    ]
    assert_problem(client.get("/api/v1/initiatives/", {"health": "purple"}), 400)


def test_a_red_scorecard_in_the_history_does_not_make_an_initiative_red(history, make_initiative, alice):
    recovered = make_initiative("Quote creation")
    card(recovered, datetime(2026, 9, 1, tzinfo=UTC), "red")
    card(recovered, datetime(2026, 10, 2, tzinfo=UTC), "green")
    client = api_as(alice)
    assert [i["slug"] for i in client.get("/api/v1/initiatives/", {"health": "red"}).json()["results"]] == [
        history.slug
    ]
    assert client.get("/api/v1/initiatives/", {"health": "green"}).json()["count"] == 1


def test_the_scorecard_is_looked_up_for_its_initiative_alone(history, make_initiative, alice):
    for n in range(3):
        card(make_initiative(f"Initiative {n}"), datetime(2026, 10, 5, tzinfo=UTC), "green")
    with CaptureQueriesContext(connection) as queries:
        response = api_as(alice).get(f"/api/v1/initiatives/{history.slug}/scorecard/", {"as_of": "2026-09-15"})
    assert response.json()["health"] == "green"
    (lookup,) = [q["sql"] for q in queries.captured_queries if 'FROM "kpis_scorecard"' in q["sql"]]
    assert "initiatives_initiative" not in lookup  # never every initiative's newest card, then one kept


def test_a_page_of_initiatives_filtered_by_health_reads_the_scorecards_to_find_them_not_to_load_them(
    history, make_initiative, alice
):
    """NarrowPagination: the count and the page's ids go through the filter; the rows are then loaded by id."""
    red = make_initiative("Quote creation")
    card(red, datetime(2026, 10, 2, tzinfo=UTC), "red")
    with CaptureQueriesContext(connection) as queries:
        response = api_as(alice).get("/api/v1/initiatives/", {"health": "red"})
    assert [i["slug"] for i in response.json()["results"]] == [red.slug, history.slug]
    initiative_reads = [q["sql"] for q in queries.captured_queries if 'FROM "initiatives_initiative"' in q["sql"]]
    assert len(initiative_reads) == 3  # the count, the page's ids, its rows
    assert ["kpis_scorecard" in sql for sql in initiative_reads] == [True, True, False]
