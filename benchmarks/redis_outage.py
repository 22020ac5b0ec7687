"""Request latency while Redis is down or hung: the figures tests/test_redis_outage.py does not assert.

    make bench            # or: python benchmarks/redis_outage.py  (needs DATABASE_URL on PostgreSQL)

Starts gunicorn (`python -m opmodel web`, one worker, warmed by one unmeasured round) three
times: with REDIS_URL on a port where nothing listens (down), on a server that accepts connections
and never answers (hung), and, when REDIS_URL is set, on the real Redis (up, the reference). Each
time, one client sends OUTAGE_REQUESTS (30) rounds of a one-point measurement push and an API list,
and prints p50, p99 and the slowest request per kind. The API throttle's cache is the only Redis
client in the web tier: with Redis unreachable it waits for its socket timeout (0.25 s) once, then
lets requests through for 10 s without trying again.
"""

import http.client
import json
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.ingest import free_port, percentile, prepare, setup_django, start_server  # noqa: E402
from opmodel.compat import UTC  # noqa: E402

ROUNDS = int(os.environ.get("OUTAGE_REQUESTS", "30"))
TARGET_P99_MS = 1000  # a request never waits on the broker: one cache timeout (0.25 s) at worst


@contextmanager
def hung_server():
    """Accepts every connection and never sends a byte; yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


@contextmanager
def nothing_listening():
    yield free_port()


def measure(port: int, token: str, key: str, rounds: int = ROUNDS) -> dict[str, list[float]]:
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    latencies: dict[str, list[float]] = {"push one point": [], "list initiatives": []}
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(rounds):
        body = json.dumps(
            {"measurements": [{"kpi": key, "timestamp": (start + timedelta(seconds=n)).isoformat(), "value": n}]}
        )
        for kind, method, path, payload in (
            ("push one point", "POST", "/api/v1/measurements/", body),
            ("list initiatives", "GET", "/api/v1/initiatives/", None),
        ):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            began = time.perf_counter()
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[kind].append(time.perf_counter() - began)
            conn.close()
            if response.status != 200:
                sys.exit(f"{method} {path} answered {response.status} with Redis unavailable")
    return latencies


def main() -> None:
    setup_django()
    token, keys = prepare()
    brokers = [("down (connection refused)", nothing_listening), ("hung (never answers)", hung_server)]
    real = os.environ.get("REDIS_URL")
    print(f"\nRequest latency against gunicorn while Redis is unavailable: {ROUNDS} rounds per broker state")
    worst = 0.0
    runs = [(label, broker, None) for label, broker in brokers] + (
        [("up (the reference)", nullcontext, real)] if real else []
    )
    for label, broker, url in runs:
        with broker() as broker_port:
            os.environ["REDIS_URL"] = url or f"redis://127.0.0.1:{broker_port}/13"
            os.environ.pop("CELERY_BROKER_URL", None)
            os.environ["WEB_CONCURRENCY"] = "1"  # one worker: the warm-up request warms the measured one
            port = free_port()
            server = start_server(port)
            try:
                measure(port, token, keys[0], rounds=1)  # the worker's first request pays for its imports
                latencies = measure(port, token, keys[0])
            finally:
                server.terminate()
                server.wait(timeout=30)
        for kind, values in latencies.items():
            print(
                f"  {label:<26} {kind:<17} p50 {percentile(values, 50) * 1000:6.0f} ms   "
                f"p99 {percentile(values, 99) * 1000:6.0f} ms   slowest {max(values) * 1000:6.0f} ms"
            )
            if url is None:
                worst = max(worst, percentile(values, 99))
    if real:
        os.environ["REDIS_URL"] = real
    ok = worst * 1000 <= TARGET_P99_MS
    print(f"  [{'met' if ok else 'MISSED'}] p99 <= {TARGET_P99_MS} ms with Redis down or hung")


if __name__ == "__main__":
    main()
