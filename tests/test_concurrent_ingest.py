"""Clients pushing overlapping batches at once never deadlock each other: every answer is 200 and the
counts add up exactly (PostgreSQL: SQLite has one writer at a time)."""

import json
import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from governance.tokens import issue_token
from kpis.models import IngestBatch, Measurement
from opmodel.compat import UTC
from tests.db import second_session

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

URL = "/api/v1/measurements/"
START = datetime(2026, 1, 1, tzinfo=UTC)


def _batch(key: str, first_minute: int, n: int, *, reverse: bool) -> str:
    items = [
        {"kpi": key, "timestamp": (START + timedelta(minutes=first_minute + i)).isoformat(), "value": float(i)}
        for i in range(n)
    ]
    return json.dumps({"measurements": items[::-1] if reverse else items})


def _push_all_at_once(bodies: list[str], key: str) -> list:
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def push(n: int, body: str) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        try:
            barrier.wait()
            answers[n] = client.post(URL, body, content_type="application/json")
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=push, args=(n, body)) for n, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL row locks; SQLite has one writer")
@pytest.mark.parametrize("round_", range(3))
def test_overlapping_batches_in_opposite_orders_all_succeed(kpi, alice, round_):
    _, key = issue_token(acting_user=alice, user=alice, name="pipeline")
    # Two ranges that overlap by 1,500 points, each sent forwards and backwards by four clients at once.
    bodies = [
        _batch(kpi.key, 0, 3000, reverse=False),
        _batch(kpi.key, 1500, 3000, reverse=True),
        _batch(kpi.key, 0, 3000, reverse=True),
        _batch(kpi.key, 1500, 3000, reverse=False),
    ]
    answers = _push_all_at_once(bodies, key)

    assert [a.status_code for a in answers] == [200] * 4, [a.content[:200] for a in answers]
    results = [a.json() for a in answers]
    assert all(r["received"] == 3000 for r in results)
    assert Measurement.objects.filter(kpi=kpi).count() == 4500
    # Every point was created once; the overlap was written again only where a value differed.
    assert sum(r["created"] for r in results) == 4500
    assert sum(r["created"] + r["updated"] + r["unchanged"] for r in results) == 12000
    assert IngestBatch.objects.count() == 4


def _wait_until_blocked(session, pid_of_other: int) -> None:
    """Until the other backend waits for a lock (it is inside the ingest, behind our row lock)."""
    for _ in range(200):
        with session.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid_of_other])
            row = cursor.fetchone()
        if row and row[0] == "Lock":
            return
        threading.Event().wait(0.05)
    raise AssertionError("the ingest never waited for the initiative's row lock")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deadlock detector")
def test_a_batch_chosen_as_a_deadlock_victim_is_retried(kpi, alice):
    """Another session takes the same rows in the other order: PostgreSQL breaks the deadlock by rolling
    the ingest back, and the ingest starts over instead of answering 503."""
    _, key = issue_token(acting_user=alice, user=alice, name="pipeline")
    other = second_session()
    ingest_pid: list[int] = []
    answers: list = []

    def push() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        ingest_pid.append(connection.cursor().connection.info.backend_pid)
        try:
            answers.append(client.post(URL, _batch(kpi.key, 0, 1, reverse=False), content_type="application/json"))
        finally:
            connections.close_all()

    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            # Hold the initiative's row: the ingest writes its point, then waits here to mark it dirty.
            cursor.execute("SELECT id FROM initiatives_initiative WHERE id = %s FOR UPDATE", [kpi.initiative_id])
            thread = threading.Thread(target=push)
            thread.start()
            while not ingest_pid:
                threading.Event().wait(0.01)
            _wait_until_blocked(other, ingest_pid[0])
            # Now write the ingest's own key: each session waits for the other, a deadlock.
            cursor.execute(
                'INSERT INTO kpis_measurement (kpi_id, "timestamp", value, source) VALUES (%s, %s, 99, %s)',
                [kpi.pk, START, "api"],
            )
        other.commit()
        thread.join()
    finally:
        other.close()

    assert answers[0].status_code == 200, answers[0].content[:300]
    assert answers[0].json() == {"received": 1, "created": 0, "updated": 1, "unchanged": 0}
    assert Measurement.objects.get(kpi=kpi).value == 0.0  # the retry's value, written after the other commit
