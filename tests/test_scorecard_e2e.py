"""A real Celery beat and worker, started through `python -m opmodel`, keep scorecards current.

Measurements pushed with record_measurements mark the initiative dirty; the scheduled
recompute (every 2 s here) stores a snapshot and clears the mark. The processes share
pytest-django's test database, so this needs PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL); it uses Redis database 14 and flushes it first.
"""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.db import connection
from django.utils import timezone

from initiatives.models import Initiative
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import Kpi, Scorecard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BASE_DIR = Path(__file__).resolve().parent.parent
RECOMPUTE_EVERY_SECONDS = 2
HANDLE_TIME, CSAT = "support-triage-assistant.handle-time", "support-triage-assistant.csat"


class CeleryProcesses:
    def __init__(self, log_dir: Path):
        self.worker_log = log_dir / "worker.log"
        self.beat_log = log_dir / "beat.log"

    def logs(self) -> str:
        return "".join(f"--- {p.name}\n{p.read_text()[-4000:]}\n" for p in (self.worker_log, self.beat_log))


def _with_path(url: str, path: str) -> str:
    return urlsplit(url)._replace(path=path).geturl()


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): worker processes cannot share a SQLite test database")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (REDIS_URL) as the broker between beat, worker and this test")
    broker_url = _with_path(os.environ["REDIS_URL"], "/14")
    redis.Redis.from_url(broker_url).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": _with_path(os.environ["DATABASE_URL"], "/" + connection.settings_dict["NAME"]),
        "REDIS_URL": broker_url,
        "SCORECARD_RECOMPUTE_SECONDS": str(RECOMPUTE_EVERY_SECONDS),
        "OPMODEL_VAR_DIR": str(tmp_path),
        "WORKER_CONCURRENCY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    processes = CeleryProcesses(tmp_path)
    started = []
    try:
        for name, log in (("worker", processes.worker_log), ("beat", processes.beat_log)):
            with log.open("w") as out:
                started.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "opmodel", name],
                        cwd=BASE_DIR,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield processes
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, timeout: float, what: str, processes: CeleryProcesses):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.5)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{processes.logs()}")


def build_tree(initiative, user):
    today = timezone.localdate()
    driver = kpi_services.add_driver(initiative.pk, acting_user=user, name="Faster handling")
    kpi_services.add_kpi(
        initiative.pk,
        acting_user=user,
        driver=driver,
        key=HANDLE_TIME,
        name="Average handling time",
        unit="minutes",
        kind=Kpi.Kind.LAGGING,
        direction=Kpi.Direction.DECREASE,
        baseline_value=12.0,
        baseline_date=today - timedelta(days=30),
        target_value=9.0,
        target_date=today + timedelta(days=60),
    )
    kpi_services.add_kpi(
        initiative.pk,
        acting_user=user,
        driver=driver,
        key=CSAT,
        name="Customer satisfaction",
        unit="score",
        kind=Kpi.Kind.GUARDRAIL,
        direction=Kpi.Direction.INCREASE,
        guardrail_bound=4.2,
    )


def push(user, points: dict[str, float]):
    """Record the points now; return a time after their commit."""
    now = timezone.now().isoformat()
    record_measurements([{"kpi": key, "timestamp": now, "value": v} for key, v in points.items()], acting_user=user)
    return timezone.now()


def first_snapshot_after(initiative, moment):
    """The first snapshot computed after `moment`: computed after the data committed, so it must show it."""
    return Scorecard.objects.filter(initiative=initiative, computed_at__gt=moment).order_by("computed_at", "id").first()


def test_beat_and_worker_keep_the_scorecard_current(celery_processes, make_initiative, alice):
    initiative = make_initiative()
    build_tree(initiative, alice)

    pushed_at = push(alice, {HANDLE_TIME: 10.5, CSAT: 4.5})

    card = wait_for(
        lambda: first_snapshot_after(initiative, pushed_at), 60, "a scorecard after the first push", celery_processes
    )
    assert (card.health, card.confidence) == ("green", "fresh"), card.kpis
    assert {k["key"]: k["latest_value"] for k in card.kpis} == {HANDLE_TIME: 10.5, CSAT: 4.5}

    breached_at = push(alice, {CSAT: 3.9})

    card = wait_for(
        lambda: first_snapshot_after(initiative, breached_at), 60, "the next scheduled scorecard", celery_processes
    )
    assert card.health == "red", card.kpis
    assert {k["key"]: k["status"] for k in card.kpis} == {HANDLE_TIME: "green", CSAT: "red"}
    wait_for(
        lambda: Initiative.objects.filter(pk=initiative.pk, scorecard_dirty_at__isnull=True).exists(),
        30,
        "the dirty mark to be cleared",
        celery_processes,
    )
    assert "recompute_scorecards_task" in celery_processes.worker_log.read_text()
