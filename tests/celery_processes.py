"""Real Celery worker and beat processes for end-to-end tests, started through `python -m opmodel`.

They share pytest-django's test database, so they need PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL); each test module uses its own Redis database and flushes it first.
"""

import os
import signal
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
    """The worker and beat processes of one test, each in its own session so it can be killed whole."""

    def __init__(self, log_dir: Path, environment: dict[str, str]):
        self.log_dir = log_dir
        self.environment = environment
        self.started: list[tuple[subprocess.Popen, Path]] = []

    @property
    def worker_log(self) -> Path:
        return self.log_dir / "worker.log"

    @property
    def beat_log(self) -> Path:
        return self.log_dir / "beat.log"

    def start(self, name: str, log_name: str = "", env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start `python -m opmodel <name>`, logging to <log_name or name>.log."""
        log = self.log_dir / f"{log_name or name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "opmodel", name],
                cwd=BASE_DIR,
                env={**self.environment, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the process and its children (a worker's pool), as a lost machine would."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.terminate()
        for process, _ in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "".join(f"--- {log.name}\n{log.read_text()[-4000:]}\n" for _, log in self.started)


def with_path(url: str, path: str) -> str:
    return urlsplit(url)._replace(path=path).geturl()


@contextmanager
def celery_worker_and_beat(log_dir: Path, *, redis_db: int, env: dict[str, str], beats: int = 1):
    """Start a worker and `beats` beat processes on the test database and Redis database `redis_db`;
    stop them afterwards. Extra beats log to beat-2.log, ... and keep their schedule file apart.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): worker processes cannot share a SQLite test database")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (REDIS_URL) as the broker between beat, worker and this test")
    broker_url = with_path(os.environ["REDIS_URL"], f"/{redis_db}")
    redis.Redis.from_url(broker_url).flushdb()
    environment = {
        **os.environ,
        "DATABASE_URL": with_path(os.environ["DATABASE_URL"], "/" + connection.settings_dict["NAME"]),
        "REDIS_URL": broker_url,
        "OPMODEL_VAR_DIR": str(log_dir),
        "WORKER_CONCURRENCY": "1",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    environment.pop("CELERY_BROKER_URL", None)
    environment.pop("CELERY_TASK_ALWAYS_EAGER", None)
    processes = CeleryProcesses(log_dir, environment)
    try:
        processes.start("worker")
        processes.start("beat")
        for n in range(2, beats + 1):
            processes.start("beat", f"beat-{n}", {"OPMODEL_VAR_DIR": str(log_dir / f"beat-{n}")})
        yield processes
    finally:
        processes.stop()


def wait_for(condition, timeout: float, what: str, processes: CeleryProcesses):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.5)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{processes.logs()}")
