"""A real Celery worker and beat, started through `python -m opmodel`, remind approvers of an overdue review once.

They share pytest-django's test database, so this needs PostgreSQL (DATABASE_URL)
and Redis (REDIS_URL); it uses Redis database 15 and flushes it first.
"""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.db import connection

from governance.models import GateReview
from governance.services import request_review

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BASE_DIR = Path(__file__).resolve().parent.parent
BEAT_EVERY_SECONDS = 2
TASK_RUN = re.compile(r"remind_overdue_reviews_task\[([0-9a-f-]+)\] succeeded in [0-9.]+s: (\d+)")


class CeleryProcesses:
    def __init__(self, log_dir: Path):
        self.worker_log = log_dir / "worker.log"
        self.beat_log = log_dir / "beat.log"

    def logs(self) -> str:
        return "".join(f"--- {p.name}\n{p.read_text()[-4000:]}\n" for p in (self.worker_log, self.beat_log))

    def reminder_runs(self) -> dict[str, int]:
        """Each run of the reminder task the worker finished, by task id, with the number of emails it sent."""
        return {task_id: int(sent) for task_id, sent in TASK_RUN.findall(self.worker_log.read_text())}


def _with_path(url: str, path: str) -> str:
    return urlsplit(url)._replace(path=path).geturl()


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): worker processes cannot share a SQLite test database")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (REDIS_URL) as the broker between beat, worker and this test")
    broker_url = _with_path(os.environ["REDIS_URL"], "/15")
    redis.Redis.from_url(broker_url).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": _with_path(os.environ["DATABASE_URL"], "/" + connection.settings_dict["NAME"]),
        "REDIS_URL": broker_url,
        "REVIEW_REMINDER_EVERY_SECONDS": str(BEAT_EVERY_SECONDS),
        "OPMODEL_VAR_DIR": str(tmp_path),
        "WORKER_CONCURRENCY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
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


def test_beat_and_worker_remind_an_overdue_review_once(celery_processes, make_initiative, alice):
    initiative = make_initiative()
    review = request_review(initiative.pk, acting_user=alice, override_reason="e2e")
    GateReview.objects.filter(pk=review.pk).update(requested_at=review.requested_at - timedelta(days=10))

    def reminded_at():
        return GateReview.objects.values_list("reminded_at", flat=True).get(pk=review.pk)

    first_reminder = wait_for(reminded_at, 60, "the worker to set reminded_at", celery_processes)
    runs_so_far = set(celery_processes.reminder_runs())
    # A few more beats: each run must leave the reminder alone.
    wait_for(
        lambda: len(set(celery_processes.reminder_runs()) - runs_so_far) >= 2,
        30,
        "two more runs of the reminder task",
        celery_processes,
    )

    assert reminded_at() == first_reminder
    runs_that_mailed = [sent for sent in celery_processes.reminder_runs().values() if sent]
    assert len(runs_that_mailed) == 1, celery_processes.logs()  # Sam, the sponsor, got one reminder
