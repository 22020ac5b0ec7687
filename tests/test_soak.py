"""The soak mode of benchmarks/load.py runs end to end: a 6-second soak with 5 clients (one per role)
against real gunicorn, Celery worker and beat processes on the test database.

Behaviour only, never timings: it exits 0 and prints a row per kind of request, the 5xx count, the
memory of the web and worker process trees and a PASS per target. Needs PostgreSQL (DATABASE_URL)
and Redis (REDIS_URL, used as given; the soak starts its own beat and flushes nothing).
"""

import os
import re
import subprocess
import sys

import pytest
from django.db import connection

from tests.celery_processes import BASE_DIR, with_path

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

KINDS = [
    "approvals page",
    "checklist",
    "checklist answer",
    "csv export",
    "decide",
    "gate-reviews api",
    "home page",
    "initiatives api",
    "portfolio page",
    "push",
    "request review",
    "total",
]


def test_a_short_soak_passes_every_target_and_prints_its_figures():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): the soak's processes cannot share a SQLite test database")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (REDIS_URL) as the broker between beat and worker")
    env = {
        **os.environ,
        "DATABASE_URL": with_path(os.environ["DATABASE_URL"], "/" + connection.settings_dict["NAME"]),
        "WEB_CONCURRENCY": "2",
    }
    result = subprocess.run(
        [sys.executable, "benchmarks/load.py", "--soak", "--seconds", "6", "--clients", "5"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output

    rows = dict(re.findall(r"^  (\w[\w -]*?) +([\d,]+) +[\d.]+ +\d+ +\d+", result.stdout, re.MULTILINE))
    assert sorted(rows) == KINDS, output
    assert all(int(count.replace(",", "")) > 0 for count in rows.values()), output
    assert "5xx responses: 0;" in result.stdout
    for name in ("web", "worker"):
        assert re.search(rf"memory {name} +[\d.]+ MiB \(\d+ processes\) -> +[\d.]+ MiB", result.stdout), output
    for target in (
        "0 5xx responses",
        "every request answered as expected",
        "exact counts in the database",
        "the worker ran the scheduled recompute and emails",
        "web memory growth < 10%",
        "worker memory growth < 10%",
        "no error in the web, worker and beat logs",
    ):
        assert f"PASS  {target}" in result.stdout, output
    assert "FAIL" not in result.stdout
