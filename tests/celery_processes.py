"""Real Celery worker and beat processes for end-to-end tests, started through `python -m opmodel`.

They share pytest-django's test database, so they need PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL); each test module uses its own Redis database and flushes it first.
"""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


class CeleryProcesses:
    def __init__(self, log_dir: Path):
        self.worker_log = log_dir / "worker.log"
        self.beat_log = log_dir / "beat.log"

    def logs(self) -> str:
        return "".join(f"--- {p.name}\n{p.read_text()[-4000:]}\n" for p in (self.worker_log, self.beat_log))


def _with_path(url: str, path: str) -> str:
    return urlsplit(url)._replace(path=path).geturl()


@contextmanager
def celery_worker_and_beat(log_dir: Path, *, redis_db: int, env: dict[str, str]):
    """Start a worker and beat on the test database and Redis database `redis_db`; stop them afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): worker processes cannot share a SQLite test database")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (REDIS_URL) as the broker between beat, worker and this test")
    broker_url = _with_path(os.environ["REDIS_URL"], f"/{redis_db}")
    redis.Redis.from_url(broker_url).flushdb()
    environment = {
        **os.environ,
        "DATABASE_URL": _with_path(os.environ["DATABASE_URL"], "/" + connection.settings_dict["NAME"]),
        "REDIS_URL": broker_url,
        "OPMODEL_VAR_DIR": str(log_dir),
        "WORKER_CONCURRENCY": "1",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    environment.pop("CELERY_BROKER_URL", None)
    environment.pop("CELERY_TASK_ALWAYS_EAGER", None)
    processes = CeleryProcesses(log_dir)
    started = []
    try:
        for name, log in (("worker", processes.worker_log), ("beat", processes.beat_log)):
            with log.open("w") as out:
                command = [sys.executable, "-m", "opmodel", name]
                started.append(
                    subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=out, stderr=subprocess.STDOUT)
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
