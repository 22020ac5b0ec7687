"""POST /api/v1/measurements/: atomic, idempotent, validated item by item, at a constant query count."""

import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from governance.tokens import issue_token
from initiatives.models import InitiativeQuerySet
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import IngestBatch, Kpi, Measurement
from opmodel.compat import UTC

URL = "/api/v1/measurements/"


@pytest.fixture
def other_kpi(make_initiative, alice):
    initiative = make_initiative("Quote creation")
    driver = kpi_services.add_driver(initiative.pk, acting_user=alice, name="Faster quotes")
    return kpi_services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=driver,
        key="quote-creation.cycle-time",
        name="Quote creation time",
        unit="hours",
        kind=Kpi.Kind.LAGGING,
        direction=Kpi.Direction.DECREASE,
    )


def token_client(user) -> APIClient:
    token, key = issue_token(acting_user=user, user=user, name="pipeline")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.token = token
    return client


def points(key: str, n: int, *, start=datetime(2025, 1, 1, tzinfo=UTC), value=10.0, source=None) -> list[dict]:
    items = [{"kpi": key, "timestamp": (start + timedelta(hours=i)).isoformat(), "value": value + i} for i in range(n)]
    if source:
        for item in items:
            item["source"] = source
    return items


def push(client, items):
    return client.post(URL, {"measurements": items}, format="json")


def test_a_batch_is_created_then_replayed_without_changes(kpi, alice):
    client = token_client(alice)
    first = push(client, points(kpi.key, 5))
    assert first.status_code == 200
    assert first.json() == {"received": 5, "created": 5, "updated": 0, "unchanged": 0}
    replay = push(client, points(kpi.key, 5))
    assert replay.json() == {"received": 5, "created": 0, "updated": 0, "unchanged": 5}
    assert Measurement.objects.filter(kpi=kpi).count() == 5


def test_pushing_a_key_again_overwrites_its_value_and_counts_it_updated(kpi, alice):
    client = token_client(alice)
    push(client, points(kpi.key, 3))
    response = push(client, points(kpi.key, 3, value=20.0))
    assert response.json() == {"received": 3, "created": 0, "updated": 3, "unchanged": 0}
    assert sorted(Measurement.objects.values_list("value", flat=True)) == [20.0, 21.0, 22.0]


def test_the_same_instant_in_another_offset_is_the_same_key(kpi, alice):
    client = token_client(alice)
    push(client, [{"kpi": kpi.key, "timestamp": "2026-10-01T10:00:00+02:00", "value": 1}])
    response = push(client, [{"kpi": kpi.key, "timestamp": "2026-10-01T08:00:00Z", "value": 2}])
    assert response.json()["updated"] == 1
    assert Measurement.objects.get().value == 2


def test_one_batch_writes_each_point_to_its_own_kpi(kpi, other_kpi, alice):
    push(token_client(alice), points(other_kpi.key, 2) + points(kpi.key, 1, value=5.0))

    assert sorted(Measurement.objects.values_list("kpi__key", "value")) == [
        (other_kpi.key, 10.0),
        (other_kpi.key, 11.0),
        (kpi.key, 5.0),
    ]


def test_sources_keep_separate_values_and_default_to_api(kpi, alice):
    client = token_client(alice)
    items = points(kpi.key, 1) + points(kpi.key, 1, source="bi-export")
    assert push(client, items).json()["created"] == 2
    assert set(Measurement.objects.values_list("source", flat=True)) == {"api", "bi-export"}


def test_an_empty_source_is_the_default_source(kpi, alice):
    response = push(token_client(alice), [{**points(kpi.key, 1)[0], "source": ""}])

    assert response.json()["created"] == 1
    assert Measurement.objects.get().source == "api"


def test_duplicates_inside_one_batch_keep_the_last_value(kpi, alice):
    client = token_client(alice)
    items = points(kpi.key, 1, value=1) + points(kpi.key, 1, value=7)
    response = push(client, items)
    assert response.json() == {"received": 2, "created": 1, "updated": 0, "unchanged": 1}
    assert Measurement.objects.get().value == 7


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ({"kpi": "no-such.kpi", "timestamp": "2026-10-01T00:00:00Z", "value": 1}, "kpi", "Unknown KPI"),
        ({"timestamp": "2026-10-01T00:00:00Z", "value": 1}, "kpi", "required"),
        ({"kpi": "", "timestamp": "2026-10-01T00:00:00Z", "value": 1}, "kpi", "required"),
        ({"kpi": "K", "value": 1}, "timestamp", "required"),
        ({"kpi": "K", "timestamp": "2026-10-01T00:00:00Z"}, "value", "required"),
        ({"kpi": "K", "timestamp": "2026-10-01T00:00:00Z", "value": "twelve"}, "value", "not a number"),
        ({"kpi": "K", "timestamp": "2026-10-01T00:00:00Z", "value": True}, "value", "not true/false"),
        ({"kpi": "K", "timestamp": "2026-10-01T00:00:00Z", "value": 10**400}, "value", "too large"),
        # What was sent is quoted back, cut to 40 characters.
        ({"kpi": "K", "timestamp": "2026-10-01T00:00:00Z", "value": "n" * 50}, "value", f"“{'n' * 40}” is not a"),
        ({"kpi": "K", "timestamp": "t" * 50, "value": 1}, "timestamp", f"“{'t' * 40}” is not an ISO 8601"),
        ({"kpi": "K", "timestamp": "2026-10-01T00:00:00", "value": 1}, "timestamp", "UTC offset"),
        ({"kpi": "K", "timestamp": "yesterday", "value": 1}, "timestamp", "not an ISO 8601"),
        ({"kpi": "K", "timestamp": "2999-01-01T00:00:00Z", "value": 1}, "timestamp", "future"),
        ({"kpi": "K", "timestamp": "2026-10-01T00:00:00Z", "value": 1, "source": "x" * 101}, "source", "At most 100"),
        ({"kpi": "K", "timestamp": "2026-10-01T00:00:00Z", "value": 1, "source": 5}, "source", "string"),
        ("not an object", "", "must be an object"),
    ],
)
def test_each_invalid_item_is_named_by_index_and_nothing_is_written(kpi, alice, item, field, message):
    if isinstance(item, dict) and item.get("kpi") == "K":
        item["kpi"] = kpi.key
    response = push(token_client(alice), points(kpi.key, 2) + [item])
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert (error["index"], error["field"]) == (2, field)
    assert message in error["message"]
    assert not Measurement.objects.exists()
    assert not IngestBatch.objects.exists()


def test_a_timestamp_up_to_a_day_ahead_is_accepted_and_later_ones_are_not(kpi, alice):
    # Clocks drift and time zones confuse: a day of slack, and no more.
    now = timezone.now()
    soon, later = (now + timedelta(hours=23)).isoformat(), (now + timedelta(hours=25)).isoformat()
    client = token_client(alice)

    rejected = push(client, [{"kpi": kpi.key, "timestamp": later, "value": 1}])
    assert rejected.status_code == 400
    assert rejected.json()["errors"][0]["message"] == "The timestamp is more than one day in the future."
    assert push(client, [{"kpi": kpi.key, "timestamp": soon, "value": 1}]).json()["created"] == 1


def test_a_timestamp_exactly_a_day_ahead_is_still_accepted(kpi, alice, monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    at = (now + timedelta(days=1)).isoformat()
    # A number takes the common path; a number in a string (as a CSV holds it) the careful one.
    items = [
        {"kpi": kpi.key, "timestamp": at, "value": 1},
        {"kpi": kpi.key, "timestamp": at, "value": "2", "source": "csv"},
    ]

    assert push(token_client(alice), items).json()["created"] == 2


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_values_are_rejected(kpi, alice, raw):
    # json.dumps would refuse these literals, so the body is written by hand.
    body = f'{{"measurements": [{{"kpi": "{kpi.key}", "timestamp": "2026-10-01T00:00:00Z", "value": {raw}}}]}}'
    response = token_client(alice).post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "value"
    assert not Measurement.objects.exists()


def test_every_bad_item_is_listed(kpi, alice):
    items = points(kpi.key, 3)
    items[0]["value"] = None
    items[2]["timestamp"] = "2026-13-45"
    errors = push(token_client(alice), items).json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(0, "value"), (2, "timestamp")]


@pytest.mark.parametrize("body", [{}, {"measurements": []}, {"measurements": "x"}, []])
def test_the_batch_must_be_a_non_empty_list(kpi, alice, body):
    response = token_client(alice).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "measurements"


def test_malformed_json_is_a_400_problem(kpi, alice):
    response = token_client(alice).post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_more_than_ten_thousand_items_is_413(kpi, alice):
    response = push(token_client(alice), points(kpi.key, 10_001))
    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert not Measurement.objects.exists()


def test_ten_thousand_items_are_accepted(kpi, alice):
    response = push(token_client(alice), points(kpi.key, 10_000))
    assert response.json()["created"] == 10_000


def test_a_kpi_the_caller_cannot_see_is_unknown_like_a_missing_key(kpi, alice, charlie, other_kpi):
    # Charlie holds nothing on either initiative: whether the key exists is not his to learn.
    hidden = push(token_client(charlie), points(other_kpi.key, 2))
    missing = push(token_client(charlie), points("no-such.kpi", 2))
    assert hidden.status_code == missing.status_code == 400
    assert hidden["Content-Type"] == "application/problem+json"
    assert hidden.json()["errors"] == [
        {**e, "message": e["message"].replace("no-such.kpi", other_kpi.key)} for e in missing.json()["errors"]
    ]
    assert [e["message"] for e in hidden.json()["errors"]] == [f"Unknown KPI “{other_kpi.key}”."] * 2
    assert not Measurement.objects.exists()


def test_a_kpi_the_caller_sees_but_may_not_write_forbids_the_whole_batch(kpi, other_kpi, sam):
    # Sam is sponsor on both (make_initiative assigns him): on one he keeps only the charter, so he sees
    # that initiative (and may be told he may not write it) but holds no role to write its KPIs.
    other = other_kpi.initiative
    other.role_assignments.filter(user=sam).delete()
    other.charter.owner = sam
    other.charter.save(update_fields=["owner"])
    response = push(token_client(sam), points(kpi.key, 2) + points(other_kpi.key, 1))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert [(e["index"], e["message"]) for e in response.json()["errors"]] == [
        (2, f"You may not write KPI “{other_kpi.key}”.")
    ]
    assert not Measurement.objects.exists()


def test_a_batch_both_invalid_and_forbidden_is_a_400_naming_every_problem(kpi, other_kpi, sam):
    other = other_kpi.initiative
    other.role_assignments.filter(user=sam).delete()
    other.charter.owner = sam  # Sam sees that initiative, but may not write its KPIs
    other.charter.save(update_fields=["owner"])
    items = points(kpi.key, 2) + points(other_kpi.key, 1)
    items[0]["value"] = None

    response = push(token_client(sam), items)

    assert response.status_code == 400
    assert [(e["index"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (0, "value", "This field is required."),
        (2, "kpi", f"You may not write KPI “{other_kpi.key}”."),
    ]
    assert not Measurement.objects.exists()


def test_a_kpi_owner_without_a_role_may_write_it(other_kpi, charlie):
    other_kpi.owner = charlie
    other_kpi.save(update_fields=["owner"])
    assert push(token_client(charlie), points(other_kpi.key, 2)).json()["created"] == 2


def test_leaders_may_write_any_kpi(kpi, lee):
    assert push(token_client(lee), points(kpi.key, 2)).json()["created"] == 2


def test_anonymous_callers_get_401(kpi, client):
    response = client.post(URL, {"measurements": points(kpi.key, 1)}, content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_each_batch_records_its_provenance(kpi, alice):
    client = token_client(alice)
    push(client, points(kpi.key, 4))
    push(client, points(kpi.key, 4, value=50))
    first, second = IngestBatch.objects.order_by("id")
    assert (first.user, first.token, first.received, first.created, first.kpi_count) == (alice, client.token, 4, 4, 1)
    assert (second.updated, second.unchanged) == (4, 0)
    assert set(Measurement.objects.values_list("batch_id", flat=True)) == {second.pk}


def test_a_replay_keeps_each_unchanged_point_in_the_batch_that_wrote_it(kpi, alice):
    client = token_client(alice)
    push(client, points(kpi.key, 3))
    changed = points(kpi.key, 3)
    changed[2]["value"] = 99.0

    push(client, changed)

    first, second = IngestBatch.objects.order_by("id")
    assert list(Measurement.objects.order_by("timestamp").values_list("batch_id", flat=True)) == [
        first.pk,
        first.pk,
        second.pk,
    ]


def test_a_failure_while_writing_leaves_nothing_behind(kpi, alice, monkeypatch):
    def unavailable(queryset):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(InitiativeQuerySet, "mark_dirty", unavailable)

    with pytest.raises(RuntimeError):
        record_measurements(points(kpi.key, 3), acting_user=alice)

    assert not Measurement.objects.exists()
    assert not IngestBatch.objects.exists()


def test_the_query_count_does_not_grow_with_the_batch(kpi, alice, django_assert_max_num_queries):
    client = token_client(alice)
    push(client, points(kpi.key, 1, start=datetime(2024, 1, 1, tzinfo=UTC)))  # stamps the token's last use
    counts = []
    for size, start in ((10, datetime(2025, 1, 1, tzinfo=UTC)), (5000, datetime(2025, 6, 1, tzinfo=UTC))):
        body = json.dumps({"measurements": points(kpi.key, size, start=start)})
        with django_assert_max_num_queries(15) as captured:
            response = client.post(URL, body, content_type="application/json")
        assert response.json()["created"] == size
        counts.append(len(captured))
    assert counts[0] == counts[1]
