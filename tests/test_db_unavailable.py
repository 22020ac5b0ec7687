"""Losing the database answers 503 with Retry-After, never a 500 or a stack trace.

Browser pages get the static templates/503.html: from opmodel.middleware.DatabaseUnavailableMiddleware
when a view fails, from handler500 (opmodel.api.server_error) when middleware does. /api/ gets
problem+json from DRF's exception handler, token authentication included. Here every SQL statement
is made to fail as it does while PostgreSQL restarts; tests/test_postgres_restart.py restarts a real one.
"""

import io
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper
from django.test import Client

from kpis import ingest
from kpis.models import IngestBatch, Measurement
from opmodel.env import env_database
from tests.lifecycle import api_as, assert_problem

URL = "/api/v1/measurements/"
BATCH = {"measurements": [{"kpi": "support-triage.handle-time", "timestamp": "2026-03-01T09:00:00Z", "value": 9.5}]}
REFUSED = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


@contextmanager
def database_down():
    """Every SQL statement fails the way it does while PostgreSQL is down."""

    def refuse(*args, **kwargs):
        raise OperationalError(REFUSED)

    with mock.patch.object(CursorWrapper, "_execute", refuse), mock.patch.object(CursorWrapper, "_executemany", refuse):
        yield


class FailingMiddleware:
    """Raises `error` from middleware, outside any view, as a session save to a lost database would."""

    error: Exception = OperationalError(REFUSED)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise self.error


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "briefly unavailable" in text
    assert "Traceback" not in text and "OperationalError" not in text


def assert_unavailable_problem(response) -> None:
    body = assert_problem(response, 503)
    assert body["type"] == "urn:opmodel:problem:service-unavailable"
    assert response["Retry-After"] == "5"
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_a_page_answers_a_plain_503_when_the_database_is_down(client, alice):
    client.force_login(alice)
    with database_down():
        for path in ("/", "/portfolio/", "/initiatives/"):
            assert_unavailable_page(client.get(path))
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_the_api_answers_503_problem_json_when_token_auth_cannot_reach_the_database(kpi, alice):
    api = api_as(alice)
    with database_down():
        assert_unavailable_problem(api.post(URL, BATCH, format="json"))
        assert_unavailable_problem(api.get("/api/v1/initiatives/"))
    assert not Measurement.objects.exists()
    assert api.post(URL, BATCH, format="json").json()["created"] == 1


@pytest.mark.django_db
def test_the_api_answers_503_problem_json_when_session_auth_cannot_reach_the_database(client, alice):
    client.force_login(alice)
    with database_down():
        assert_unavailable_problem(client.get("/api/v1/initiatives/"))


@pytest.mark.django_db
def test_a_batch_that_loses_the_database_mid_write_writes_nothing(kpi, alice, monkeypatch):
    def lost(rows, batch_id):
        raise OperationalError("server closed the connection unexpectedly")

    api = api_as(alice)
    with monkeypatch.context() as patched:
        patched.setattr(ingest, "_upsert_postgresql", lost)
        patched.setattr(ingest, "_upsert_sqlite", lost)
        assert_unavailable_problem(api.post(URL, BATCH, format="json"))
    assert not IngestBatch.objects.exists()
    assert not Measurement.objects.exists()
    assert api.post(URL, BATCH, format="json").json() == {"received": 1, "created": 1, "updated": 0, "unchanged": 0}


@pytest.mark.django_db
def test_a_database_error_raised_by_middleware_is_a_503_too(settings, alice):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_db_unavailable.FailingMiddleware"]
    client = Client(raise_request_exception=False)
    assert_unavailable_page(client.get("/"))
    assert_unavailable_problem(client.post(URL, BATCH, content_type="application/json"))


@pytest.mark.django_db
def test_other_errors_raised_by_middleware_stay_a_plain_500(settings, monkeypatch):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_db_unavailable.FailingMiddleware"]
    monkeypatch.setattr(FailingMiddleware, "error", RuntimeError("a bug"))
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Something went wrong" in response.content.decode()


def test_postgresql_connections_are_checked_before_reuse(monkeypatch):
    # Persistent connections die with a restart; the health check replaces them on the next request.
    monkeypatch.setenv("OPMODEL_TEST_DATABASE_URL", "postgres://opmodel@db.example:5432/opmodel")
    database = env_database("OPMODEL_TEST_DATABASE_URL", "sqlite:///unused", conn_max_age=60)
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is the PostgreSQL ingest path")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_killed_mid_copy_is_a_503_and_the_retry_writes_the_batch_once(kpi, alice, monkeypatch):
    """The COPY runs on the raw psycopg2 cursor; its errors must still reach the API as a 503."""

    killed = []

    class KilledMidCopy(io.StringIO):
        def read(self, *args):
            if not killed:
                killed.append(terminate_backend(connection.connection.get_backend_pid()))
            return super().read(*args)

    api = api_as(alice)
    with monkeypatch.context() as patched:
        patched.setattr(ingest, "io", SimpleNamespace(StringIO=KilledMidCopy))
        assert_unavailable_problem(api.post(URL, BATCH, format="json"))
    assert not IngestBatch.objects.exists()
    assert not Measurement.objects.exists()
    assert api.post(URL, BATCH, format="json").json()["created"] == 1
    assert killed == [True]
    assert Measurement.objects.count() == 1


def terminate_backend(pid: int) -> bool:
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            return cursor.fetchone()[0]
    finally:
        other.close()
