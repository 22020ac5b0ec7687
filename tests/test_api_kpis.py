"""KPIs over REST: list, create, patch, and reading measurements by time window."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kpis import services
from kpis.models import Kpi, Measurement
from opmodel.compat import UTC


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


@pytest.fixture
def kpi(initiative, alice):
    driver = services.add_driver(initiative.pk, acting_user=alice, name="Faster handling")
    return services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=driver,
        key="support.handle-time",
        name="Handling time",
        unit="min",
        kind="lagging",
        direction="decrease",
        baseline_value=12,
        target_value=9.6,
    )


NEW_KPI = {
    "key": "support.csat",
    "driver": "Customer experience",
    "name": "CSAT",
    "unit": "score",
    "kind": "guardrail",
    "direction": "increase",
    "guardrail_bound": 4.2,
    "category": "outcome",
}


def test_list_is_paginated_filtered_and_scoped(api, kpi, alice, charlie, lee):
    body = api(alice).get("/api/v1/kpis/?kind=lagging").json()
    assert body["count"] == 1 and body["results"][0]["key"] == kpi.key
    assert api(alice).get("/api/v1/kpis/?kind=leading").json()["count"] == 0
    assert api(charlie).get("/api/v1/kpis/").json()["count"] == 0
    assert api(lee).get(f"/api/v1/kpis/?initiative={kpi.initiative.slug}").json()["count"] == 1


def test_create_makes_the_driver_and_audits(api, initiative, alice):
    response = api(alice).post("/api/v1/kpis/", {**NEW_KPI, "initiative": initiative.slug}, format="json")
    assert response.status_code == 201, response.json()
    created = Kpi.objects.get(key="support.csat")
    assert created.driver.name == "Customer experience"
    assert created.initiative.objective


def test_create_validation_names_the_field(api, initiative, alice):
    response = api(alice).post(
        "/api/v1/kpis/", {**NEW_KPI, "initiative": initiative.slug, "guardrail_bound": None}, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["guardrail_bound"]


def test_create_on_an_invisible_initiative_names_the_field(api, initiative, charlie):
    response = api(charlie).post("/api/v1/kpis/", {**NEW_KPI, "initiative": initiative.slug}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "initiative"


def test_patch_validates_direction_against_target(api, kpi, alice):
    response = api(alice).patch(f"/api/v1/kpis/{kpi.key}/", {"target_value": 20}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "target_value"
    ok = api(alice).patch(f"/api/v1/kpis/{kpi.key}/", {"target_value": 9}, format="json")
    assert ok.status_code == 200 and ok.json()["target_value"] == 9


def test_patch_cannot_change_the_key(api, kpi, alice):
    api(alice).patch(f"/api/v1/kpis/{kpi.key}/", {"key": "other.key"}, format="json")
    assert Kpi.objects.filter(key=kpi.key).exists()


def test_unknown_kpi_is_a_404_problem(api, alice):
    response = api(alice).get("/api/v1/kpis/nope.nope/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_measurements_window_and_pagination(api, kpi, alice):
    start = datetime(2026, 10, 1, tzinfo=UTC)
    Measurement.objects.bulk_create(
        Measurement(kpi=kpi, timestamp=start + timedelta(days=i), value=i, source="api") for i in range(30)
    )
    url = f"/api/v1/kpis/{kpi.key}/measurements/"
    body = api(alice).get(url, {"since": "2026-10-05T00:00:00Z", "until": "2026-10-10T00:00:00Z"}).json()
    assert body["count"] == 5
    assert [p["value"] for p in body["results"]] == [4, 5, 6, 7, 8]
    page = api(alice).get(url, {"page_size": 10}).json()
    assert page["count"] == 30 and len(page["results"]) == 10 and page["next"]


def test_measurements_reject_a_bad_window(api, kpi, alice):
    url = f"/api/v1/kpis/{kpi.key}/measurements/"
    response = api(alice).get(url, {"since": "yesterday"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "since"
    response = api(alice).get(url, {"since": "2026-10-05T00:00:00Z", "until": "2026-10-01T00:00:00Z"})
    assert response.json()["errors"][0]["field"] == "until"


def test_the_list_pages_through_every_kpi_in_key_order_in_constant_queries(
    api, kpi, initiative, alice, django_assert_max_num_queries
):
    client = api(alice)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/kpis/").json()["count"] == 1

    driver = services.add_driver(initiative.pk, acting_user=alice, name="More volume")
    for n in range(29):
        services.add_kpi(
            initiative.pk,
            acting_user=alice,
            driver=driver,
            key=f"support.volume-{n:02d}",
            name=f"Volume {n}",
            unit="tickets",
            kind="leading",
            direction="increase",
        )
    keys, url = [], "/api/v1/kpis/?page_size=12"
    while url:
        with django_assert_max_num_queries(len(one.captured_queries)):
            body = client.get(url).json()
        assert body["count"] == 30 and set(body) == {"count", "next", "previous", "results"}
        keys += [row["key"] for row in body["results"]]
        assert body["results"][0]["initiative"] == initiative.slug
        url = body["next"]
    assert keys == sorted(Kpi.objects.values_list("key", flat=True))
    assert body["previous"].endswith("?page=2&page_size=12")
