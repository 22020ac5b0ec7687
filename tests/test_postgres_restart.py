"""PostgreSQL restarts while REST clients push measurements: 503s, then recovery, no row lost or doubled.

The test builds a throwaway cluster (initdb in a temporary directory, its own port and socket
directory; as the `postgres` user when run as root), so restarting it spares the cluster that
holds the suite's own database. It migrates it, loads the demo portfolio, creates a token for
`pm`, and serves it with `python -m opmodel web` (gunicorn, two sync workers, DEBUG=0). Two
client threads push 1,000-measurement batches with unique timestamps to two KPIs, each batch
resent on 503 after `Retry-After` seconds until it gets 200. Meanwhile, as observed:

1. `pg_ctl restart -m fast`: PostgreSQL ends every backend. The batch in flight, if any, fails
   with "server closed the connection unexpectedly"; its transaction never committed, Django drops
   the connection, and the API answers 503 problem+json with `Retry-After: 5`. Pushes arriving
   while it goes down or comes up fail to connect ("the database system is shutting down",
   "Connection refused"): 503 too. About two 503s in all; each resend 5 s later is 200 with
   created 1000, so the failed attempt wrote nothing. The idle workers' persistent connections
   (CONN_MAX_AGE=60) died as well; CONN_HEALTH_CHECKS replaces them before their next query, so
   a stale connection never costs a request.
2. `pg_ctl stop -m fast`, 3 s down, `pg_ctl start`: each pusher's next POST is 503 (shutting
   down, or refused); a logged-in browser page is the static templates/503.html with
   Retry-After and no traceback; an API GET is problem+json 503. After `pg_ctl start` the same
   gunicorn workers answer 200 on the next resend: no restart of gunicorn or of a worker.
3. The end: kpis_measurement holds exactly one row per key pushed; every 200 created all of
   its batch or, for a resend whose earlier COMMIT succeeded but whose response was lost, none of
   it (not seen in practice: the restart ends a backend mid-statement, not mid-commit); and
   replaying every batch answers created 0, updated 0.

Takes 30-50 s (most of it migrate, seed_demo and collectstatic). `pytest -s` prints the status
codes per phase and the database errors behind the 503s. Needs the PostgreSQL server binaries
(/usr/lib/postgresql/<version>/bin).
"""

import itertools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
import requests
from django.db import connection

from opmodel.compat import UTC
from tests.celery_processes import BASE_DIR, CeleryProcesses, wait_for
from tests.test_redis_outage import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL), as CI runs it"),
]

# Both belong to initiatives `pm` manages in the demo portfolio (seed_demo).
KPIS = ("quote-drafting-copilot.pricing-error-rate", "support-triage-assistant.handle-time")
SOURCE = "pg-restart-test"
BATCH_SIZE = 1000
START = datetime(2024, 1, 1, tzinfo=UTC)
RETRY_AFTER = "5"


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl."""
    candidates = Path("/usr/lib/postgresql").glob("*/bin")
    found = [d for d in candidates if (d / "initdb").exists() and (d / "pg_ctl").exists()]
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0, default=None)


class Cluster:
    """A private PostgreSQL cluster: data, socket and log under `root`, listening on 127.0.0.1:`port`."""

    def __init__(self, bin_dir: Path, root: Path, port: int):
        self.bin_dir, self.root, self.port = bin_dir, root, port
        self.data = root / "data"
        # PostgreSQL refuses to run as root, so root runs it as the postgres user.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/opmodel"

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.run_as, str(self.bin_dir / tool), *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{tool} {' '.join(args)} failed:\n{done.stdout}{done.stderr}"

    def _ctl(self, action: str, *args: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-t", "30", *args, "-o", options)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        admin = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute("CREATE DATABASE opmodel")
        admin.close()

    def start(self) -> None:
        self._ctl("start", "-l", str(self.root / "postgres.log"))

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast", "-l", str(self.root / "postgres.log"))

    def query(self, sql: str, params=()) -> tuple:
        with psycopg2.connect(self.url) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        conn.close()
        return row

    def web_environment(self, var_dir: Path, port: int) -> dict[str, str]:
        """The environment of `python -m opmodel web` on this cluster, serving 127.0.0.1:`port` with two
        gunicorn workers, its local state under `var_dir`, the broker left to its default."""
        environment = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DEBUG": "0",
            "HTTPS_ONLY": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "pg-cluster-test",
            "AUDIT_KEY": os.environ.get("AUDIT_KEY") or "pg-cluster-test-audit",
            "ALLOWED_HOSTS": "127.0.0.1",
            "OPMODEL_VAR_DIR": str(var_dir),
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"):
            environment.pop(name, None)
        return environment

    def destroy(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate"],
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def has_postgres_user() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


@pytest.fixture
def cluster():
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("needs the PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql")
    if os.geteuid() == 0 and not (shutil.which("runuser") and has_postgres_user()):
        pytest.skip("as root, runs PostgreSQL as the postgres user through runuser; one of them is missing")
    # Not under pytest's tmp_path: its parents are private to root, and the postgres user needs in.
    root = Path(tempfile.mkdtemp(prefix="opmodel-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = Cluster(bin_dir, root, free_port())
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def web(cluster, tmp_path):
    """Migrate and seed the private cluster, create pm's token, serve it; yields (base URL, token, processes)."""
    port = free_port()
    environment = cluster.web_environment(tmp_path, port)

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        return done.stdout

    manage("migrate", "--noinput")
    manage("seed_demo")
    token = manage("create_api_token", "pm", "--name", "pg-restart").strip().splitlines()[-1]
    processes = CeleryProcesses(tmp_path, environment)
    processes.start("web")
    try:
        wait_for(lambda: answers(port), 60, "gunicorn to listen", processes)
        yield f"http://127.0.0.1:{port}", token, processes
    finally:
        processes.stop()


def answers(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
    except requests.RequestException:
        return False
    return True


def make_batch(kpi: str, number: int) -> list[dict]:
    first = number * BATCH_SIZE
    return [
        {
            "kpi": kpi,
            "timestamp": (START + timedelta(minutes=first + i)).isoformat(),
            "value": (first + i) / 8,
            "source": SOURCE,
        }
        for i in range(BATCH_SIZE)
    ]


def push(session: requests.Session, url: str, batch: list[dict], seen: list) -> tuple[requests.Response, int]:
    """POST until the answer is not 503, sleeping Retry-After seconds in between; log every answer.

    Returns the last answer and how many POSTs it took.
    """
    for attempt in itertools.count(1):
        response = session.post(url, json={"measurements": batch}, timeout=30)
        seen.append((time.monotonic(), response))
        if response.status_code != 503:
            return response, attempt
        time.sleep(int(response.headers.get("Retry-After", "1")))


class Pushers:
    """One thread per KPI, pushing batch after batch until told to stop."""

    def __init__(self, base: str, token: str):
        self.url = f"{base}/api/v1/measurements/"
        self.token = token
        self.stopping = threading.Event()
        self.seen: list[tuple[float, requests.Response]] = []
        # Per KPI, each accepted batch with its 200 body and the number of POSTs it took.
        self.accepted: dict[str, list[tuple[list[dict], dict, int]]] = {kpi: [] for kpi in KPIS}
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(kpi,), daemon=True) for kpi in KPIS]

    def _run(self, kpi: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.token}"
        try:
            while not self.stopping.is_set():
                batch = make_batch(kpi, len(self.accepted[kpi]))
                response, attempts = push(session, self.url, batch, self.seen)
                if response.status_code != 200:
                    self.failures.append(f"{kpi}: {response.status_code} {response.text[:300]}")
                    return
                self.accepted[kpi].append((batch, response.json(), attempts))
        except Exception as exc:  # a refused or dropped HTTP connection: gunicorn itself failed
            self.failures.append(f"{kpi}: {exc!r}")

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def accepted_counts(self) -> dict[str, int]:
        return {kpi: len(batches) for kpi, batches in self.accepted.items()}

    def wait_for_progress(self, batches: int, what: str, processes) -> None:
        """Until every thread has had `batches` more batches accepted than now."""
        target = {kpi: n + batches for kpi, n in self.accepted_counts().items()}

        def progressed():
            assert not self.failures, self.failures
            return all(self.accepted_counts()[kpi] >= n for kpi, n in target.items())

        wait_for(progressed, 45, what, processes)


def logged_in_browser(base: str) -> requests.Session:
    browser = requests.Session()
    browser.get(f"{base}/accounts/login/", timeout=10).raise_for_status()
    form = {"username": "pm", "password": "opmodel-demo", "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
    response = browser.post(f"{base}/accounts/login/", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    return browser


def assert_unavailable(response: requests.Response, content_type: str) -> None:
    assert response.status_code == 503, (response.url, response.status_code, response.text[:500])
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert response.headers["Content-Type"].startswith(content_type)
    assert "Traceback" not in response.text and 'File "' not in response.text


def test_ingest_survives_postgresql_restarts_without_losing_or_doubling_a_measurement(cluster, web):
    base, token, processes = web
    gunicorn, gunicorn_log = processes.started[0]
    browser = logged_in_browser(base)
    pushers = Pushers(base, token)
    phases = [("before any fault", time.monotonic())]
    pushers.start()
    try:
        pushers.wait_for_progress(2, "batches accepted before any fault", processes)

        phases.append(("pg_ctl restart -m fast", time.monotonic()))
        cluster.restart()
        pushers.wait_for_progress(2, "batches accepted after `pg_ctl restart -m fast`", processes)

        phases.append(("pg_ctl stop -m fast, 3 s down", time.monotonic()))
        cluster.stop()
        went_down = time.monotonic()
        assert_unavailable(browser.get(f"{base}/", timeout=10), "text/html")
        assert_unavailable(browser.get(f"{base}/api/v1/initiatives/", timeout=10), "application/problem+json")
        time.sleep(max(0.0, 3 - (time.monotonic() - went_down)))
        phases.append(("pg_ctl start, until 2 more batches each", time.monotonic()))
        cluster.start()
        pushers.wait_for_progress(2, "batches accepted after `pg_ctl stop`, 3 s down, `pg_ctl start`", processes)
    finally:
        pushers.stop()
    assert not pushers.failures, pushers.failures

    statuses = [r.status_code for _, r in pushers.seen]
    assert set(statuses) <= {200, 503}, statuses
    assert 503 in statuses, "no push met the faults; the test proved nothing"
    for _, response in pushers.seen:
        if response.status_code == 503:
            assert_unavailable(response, "application/problem+json")
            assert response.json()["status"] == 503
    assert browser.get(f"{base}/", timeout=10).status_code == 200

    # All or nothing: a batch's first POST creates all of it; a resend creates all of it or, when
    # the 503 hid a COMMIT that happened, none of it.
    accepted = [entry for entries in pushers.accepted.values() for entry in entries]
    for _, result, attempts in accepted:
        assert result["received"] == BATCH_SIZE and result["updated"] == 0, result
        assert result["created"] == BATCH_SIZE if attempts == 1 else result["created"] in (0, BATCH_SIZE), result
    pushed = len(accepted) * BATCH_SIZE
    rows, distinct = cluster.query(
        'SELECT count(*), count(DISTINCT (kpi_id, "timestamp")) FROM kpis_measurement WHERE source = %s', [SOURCE]
    )
    assert rows == distinct == pushed

    replay = requests.Session()
    replay.headers["Authorization"] = f"Token {token}"
    for batch, _, _ in accepted:
        response = replay.post(f"{base}/api/v1/measurements/", json={"measurements": batch}, timeout=30)
        assert response.status_code == 200, response.text[:500]
        assert response.json() == {"received": BATCH_SIZE, "created": 0, "updated": 0, "unchanged": BATCH_SIZE}

    # The same gunicorn, with the workers it booted at start: nothing was restarted to recover.
    assert gunicorn.poll() is None
    log = gunicorn_log.read_text()
    assert log.count("Booting worker") == 2, log[-4000:]
    assert "Internal Server Error" not in log and '" 500 ' not in log, log[-4000:]
    print(summary(phases, pushers, accepted, log))


def summary(phases, pushers: Pushers, accepted, log: str) -> str:
    """What each fault did, for `pytest -s` and the module docstring."""
    lines = [""]
    ends = [began for _, began in phases[1:]] + [float("inf")]
    for (name, began), ended in zip(phases, ends, strict=True):
        codes = Counter(r.status_code for at, r in pushers.seen if began <= at < ended)
        lines.append(f"{name}: {dict(sorted(codes.items()))}")
    reasons = Counter(line.split(": ", 1)[1] for line in log.splitlines() if "Database unavailable for" in line)
    lines += [f"  {n} x {reason}" for reason, n in reasons.most_common()]
    resent = [result for _, result, attempts in accepted if attempts > 1]
    lines.append(
        f"{len(accepted)} batches accepted after {len(pushers.seen)} POSTs; {len(resent)} needed a resend, "
        f"whose 200 said created {[r['created'] for r in resent]}"
    )
    return "\n".join(lines)
