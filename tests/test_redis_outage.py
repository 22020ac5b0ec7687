"""The web tier keeps working while Redis is down or hung; scorecards catch up once it is back.

Ingest and gate decisions never talk to the broker: they mark initiatives dirty in the same
transaction, and the scheduled recompute picks the marks up later. So gunicorn, started through
`python -m opmodel web` against a broker that refuses connections or accepts them and never
answers, must still answer every request. The test asserts that behaviour, not a duration: every
request succeeds (a task published on commit would fail the request, or hang it until the guard
below, since neither broker ever answers); the only client that talks to Redis from the web, the API
throttle's cache, gives up by itself on its configured socket timeout (it closes the connection the
hung server never answered; tests/test_settings_env.py checks the timeouts). A real worker and beat
against the real Redis (database 13, flushed first) then store the snapshots and clear the marks.
How long the requests take is measured by `benchmarks/redis_outage.py` (`make bench`), not asserted
here.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from django.db import connection
from django.test import Client
from django.utils import timezone

from governance.tokens import issue_token
from initiatives.models import Initiative
from kpis.models import Measurement, Scorecard
from tests.celery_processes import BASE_DIR, celery_worker_and_beat, wait_for, with_path
from tests.test_scorecard_e2e import CSAT, HANDLE_TIME, build_tree

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn cannot share a SQLite test database"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HANG_GUARD_SECONDS = 120  # only so a hung request fails the test instead of blocking it; not a speed check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HungBroker:
    """A TCP server that accepts every connection, records what each client sends, and never answers."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.lock = threading.Lock()
        self.received: list[bytearray] = []  # per accepted connection, what its client sent
        self.closed_by_client: list[bool] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]

    def _accept(self):
        self.server.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn = self.server.accept()[0]
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.received.append(bytearray())
                self.closed_by_client.append(False)
                n = len(self.received) - 1
            reader = threading.Thread(target=self._read, args=(conn, n), daemon=True)
            self.threads.append(reader)
            reader.start()

    def _read(self, conn: socket.socket, n: int):
        conn.settimeout(0.2)
        with conn:
            while not self.stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                with self.lock:
                    if not data:  # the client closed the connection: it gave up waiting for an answer
                        self.closed_by_client[n] = True
                        return
                    self.received[n] += data

    def all_closed_by_their_clients(self) -> bool:
        with self.lock:
            return all(self.closed_by_client)

    def everything_received(self) -> bytes:
        with self.lock:
            return b"".join(self.received)


@contextmanager
def hung_broker():
    broker = HungBroker()
    broker.threads[0].start()
    try:
        yield broker
    finally:
        broker.stop.set()
        for thread in broker.threads:
            thread.join(timeout=5)
        broker.server.close()


@contextmanager
def down_broker():
    """A port where nothing listens: connections are refused. Yields None: there is nothing to observe."""
    yield None


@contextmanager
def gunicorn(tmp_path, *, redis_url: str):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "outage-test",
        "AUDIT_KEY": os.environ.get("AUDIT_KEY") or "outage-test-audit",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": with_path(os.environ["DATABASE_URL"], "/" + connection.settings_dict["NAME"]),
        "REDIS_URL": redis_url,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "OPMODEL_VAR_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"):
        env.pop(name, None)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "opmodel", "web"], cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-4000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not listen within 60 s:\n{log.read_text()[-4000:]}")
        yield f"http://127.0.0.1:{port}", log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def answered(session: requests.Session, method: str, url: str, **kwargs) -> requests.Response:
    response = session.request(method, url, timeout=HANG_GUARD_SECONDS, **kwargs)
    assert response.status_code in (200, 201), (method, url, response.status_code, response.text[:500])
    return response


def eventually(condition, what: str) -> None:
    """Poll a condition another process brings about; the deadline only stops a test that would hang."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting for {what}.")
        time.sleep(0.2)


def session_cookie(user) -> str:
    """A logged-in session stored in the test database; gunicorn shares the database and SECRET_KEY."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.parametrize("broker", [down_broker, hung_broker], ids=["down", "hung"])
def test_the_web_answers_while_redis_is_unavailable_and_scorecards_catch_up_later(
    broker, tmp_path, make_initiative, alice
):
    initiative = make_initiative()
    build_tree(initiative, alice)
    _, token = issue_token(acting_user=alice, user=alice, name="outage test")
    now = timezone.now().isoformat()
    points = {HANDLE_TIME: 10.5, CSAT: 4.5}
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    browser = requests.Session()
    browser.cookies.set("sessionid", session_cookie(alice), domain="127.0.0.1")

    with broker() as hung:
        port = hung.port if hung else free_port()
        with gunicorn(tmp_path, redis_url=f"redis://127.0.0.1:{port}/13") as (base, _):
            for key, value in points.items():
                body = {"measurements": [{"kpi": key, "timestamp": now, "value": value}]}
                assert answered(api, "POST", f"{base}/api/v1/measurements/", json=body).json()["created"] == 1
            assert answered(api, "GET", f"{base}/api/v1/initiatives/").status_code == 200
            for path in ("/", "/portfolio/", f"/initiatives/{initiative.slug}/", "/initiatives/"):
                page = answered(browser, "GET", base + path, allow_redirects=False)
                assert "Alice" in page.text or initiative.title in page.text, path
            if hung:
                # The throttle's cache tried Redis (so the hung server was in the path of the API requests)...
                assert hung.received and b"CLIENT" in hung.everything_received()
                # ...and gave up by its own socket timeout: it closed each connection while gunicorn still ran.
                eventually(hung.all_closed_by_their_clients, "the throttle cache to drop its hung connections")

    values = dict(Measurement.objects.filter(kpi__initiative=initiative).values_list("kpi__key", "value"))
    assert values == points
    initiative.refresh_from_db()
    assert initiative.scorecard_dirty_at is not None
    pushed_at = timezone.now()

    with celery_worker_and_beat(tmp_path, redis_db=13, env={"SCORECARD_RECOMPUTE_SECONDS": "2"}) as processes:
        card = wait_for(
            lambda: Scorecard.objects.filter(initiative=initiative, computed_at__gt=pushed_at).first(),
            60,
            "a scorecard once Redis is back",
            processes,
        )
        assert {k["key"]: k["latest_value"] for k in card.kpi_rows()} == points
        wait_for(
            lambda: Initiative.objects.filter(pk=initiative.pk, scorecard_dirty_at__isnull=True).exists(),
            30,
            "the dirty mark to be cleared",
            processes,
        )
