"""A Celery worker keeps its database connection between tasks, as Django keeps one between requests:
the scheduled recompute then reuses the plan it prepared on it (kpis/scorecard_sql.py). A connection
past DATABASE_CONN_MAX_AGE, one that fails its health check, and one a failed task used are replaced."""

import time

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from kpis.tasks import recompute_scorecards_task
from opmodel.celery import app
from tests.db import second_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Django never closes the in-memory SQLite database that tests use.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs connections that really close"),
]


def open_connection():
    connection.ensure_connection()
    return connection.connection


def around_a_task(*, failed: bool = False) -> None:
    """What a worker process does around one task, as Celery's signals and its Django fixup run it."""
    fixup = DjangoWorkerFixup(app)
    task = recompute_scorecards_task
    fixup.on_task_prerun(sender=task)
    signals.task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    if failed:
        signals.task_failure.send(sender=task, task_id="t", exception=RuntimeError("boom"), args=(), kwargs={})
    fixup.on_task_postrun(sender=task)


def test_a_task_that_succeeds_leaves_the_connection_open():
    before = open_connection()

    around_a_task()
    around_a_task()

    assert connection.connection is before


def test_a_connection_past_its_age_is_replaced_before_the_next_task():
    open_connection()
    connection.close_at = time.monotonic() - 1

    around_a_task()

    assert connection.connection is None  # the task's first query opens a new one


def test_a_failed_tasks_connection_is_dropped():
    open_connection()

    around_a_task(failed=True)

    assert connection.connection is None


def test_a_connection_the_server_dropped_is_replaced_when_the_task_queries():
    before = open_connection()
    other = second_session()
    with other.cursor() as cursor:  # as a database restart would
        cursor.execute("SELECT pg_terminate_backend(%s)", [before.get_backend_pid()])
    other.close()

    around_a_task()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    assert connection.connection is not before
