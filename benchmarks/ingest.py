"""Ingest benchmark: raw COPY into kpis_measurement versus HTTP ingest through gunicorn.

    make bench            # or: python benchmarks/ingest.py  (needs DATABASE_URL on PostgreSQL)

Prints rows/s for a raw COPY of the points (the baseline), then for HTTP ingest
with 4 concurrent clients pushing 1,000-point batches, their ratio, p50/p99 per
batch, and the same figures for a replay of every batch (created 0).
"""

import http.client
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

UTC = timezone.utc  # the datetime module has UTC only from Python 3.11; this runs on 3.10 too

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))
BATCHES_PER_CLIENT = int(os.environ.get("BENCH_BATCHES_PER_CLIENT", "60"))
KPIS = 50
TARGETS = {"ratio": 0.40, "rows_per_s": 30_000, "p99_ms": 250}


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opmodel.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(24))
    os.environ.setdefault("AUDIT_KEY", "bench-audit-" + secrets.token_hex(24))
    os.environ.setdefault("HTTPS_ONLY", "0")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("The ingest benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def add_leading_kpis(initiative, user, keys: list[str], *, driver: str) -> None:
    """The benchmarks' KPIs: leading, increasing, named by their keys, under one driver."""
    from kpis import services

    driver_node = services.add_driver(initiative.pk, acting_user=user, name=driver)
    for key in keys:
        services.add_kpi(
            initiative.pk,
            acting_user=user,
            driver=driver_node,
            key=key,
            name=key,
            unit="x",
            kind="leading",
            direction="increase",
        )


def prepare() -> tuple[str, list[str]]:
    """A bench user holding the PM role on one initiative with KPIS KPIs; returns a token key and the keys."""
    from django.contrib.auth import get_user_model

    from governance.tokens import issue_token
    from initiatives.models import Initiative
    from initiatives.services import create_initiative
    from kpis.models import Kpi

    user, _ = get_user_model().objects.get_or_create(username="bench-client")
    initiative = Initiative.objects.filter(slug="bench").first() or create_initiative(
        acting_user=user, title="Bench", business_unit="Bench", slug="bench"
    )
    if not Kpi.objects.filter(initiative=initiative).exists():
        add_leading_kpis(initiative, user, [f"bench.kpi-{n:03d}" for n in range(KPIS)], driver="Bench driver")
    _, key = issue_token(acting_user=user, user=user, name=f"bench {datetime.now(UTC):%H:%M:%S}")
    return key, [f"bench.kpi-{n:03d}" for n in range(KPIS)]


def make_rows(keys: list[str], total: int) -> list[tuple[str, datetime, float]]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return [(keys[i % len(keys)], start + timedelta(seconds=i // len(keys)), float(i % 997)) for i in range(total)]


def truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE kpis_measurement")


def raw_copy(rows, kpi_ids: dict[str, int]) -> float:
    """Rows/s of one COPY of every point straight into kpis_measurement (the baseline)."""
    from django.db import connection

    buffer = io.StringIO()
    buffer.writelines(f"{kpi_ids[k]}\t{ts.isoformat()}\t{v!r}\tapi\n" for k, ts, v in rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
        began = time.perf_counter()
        cursor.cursor.copy_expert('COPY kpis_measurement (kpi_id, "timestamp", value, source) FROM STDIN', buffer)
        connection.commit() if not connection.get_autocommit() else None
        elapsed = time.perf_counter() - began
    return len(rows) / elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """`python -m opmodel web` on `port`, once it accepts connections. Its collectstatic compresses every
    static file first, which takes a while on a busy machine: the wait allows two minutes."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "4"),
        "LOG_LEVEL": "WARNING",
        "API_THROTTLE_RATE": "1000000/minute",
    }
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (open while the server runs)
    server = subprocess.Popen(
        [sys.executable, "-m", "opmodel", "web"],
        cwd=ROOT,
        env=env,  # noqa: S603
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    log.seek(0)
    sys.exit(f"gunicorn did not start:\n{log.read()[-2000:]}")


def push_all(port: int, key: str, bodies: list[list[bytes]]) -> tuple[float, list[float], dict]:
    """Each client thread posts its batches in turn; returns wall time, per-batch latencies, summed counts."""
    latencies: list[float] = []
    totals = {"received": 0, "created": 0, "updated": 0, "unchanged": 0}
    lock = threading.Lock()
    errors: list[str] = []
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}

    def client(batches: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for body in batches:
            began = time.perf_counter()
            conn.request("POST", "/api/v1/measurements/", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - began
            if response.status != 200:
                errors.append(f"{response.status}: {payload[:200]!r}")
                return
            counts = json.loads(payload)
            with lock:
                latencies.append(elapsed)
                for name in totals:
                    totals[name] += counts[name]
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=client, args=(b,)) for b in bodies]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    if errors:
        sys.exit(f"ingest failed: {errors[0]}")
    return wall, latencies, totals


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    setup_django()
    from kpis.models import Kpi

    key, keys = prepare()
    total = CLIENTS * BATCHES_PER_CLIENT * BATCH
    rows = make_rows(keys, total)
    kpi_ids = dict(Kpi.objects.filter(key__in=keys).values_list("key", "id"))

    truncate()
    baseline = raw_copy(rows, kpi_ids)
    truncate()

    items = [{"kpi": k, "timestamp": ts.isoformat(), "value": v} for k, ts, v in rows]
    batches = [json.dumps({"measurements": items[i : i + BATCH]}).encode() for i in range(0, total, BATCH)]
    bodies = [batches[c::CLIENTS] for c in range(CLIENTS)]

    port = free_port()
    server = start_server(port)
    try:
        push_all(port, key, [[batches[0]]])  # warm every import path once; the rows are rewritten below
        truncate()
        wall, latencies, counts = push_all(port, key, bodies)
        replay_wall, replay_latencies, replay_counts = push_all(port, key, bodies)
    finally:
        server.terminate()
        server.wait(timeout=30)
    truncate()

    rate = total / wall
    replay_rate = total / replay_wall
    ratio = rate / baseline
    print(
        f"\nIngest benchmark on PostgreSQL: {total:,} points, {CLIENTS} clients, {BATCH:,}-point batches, "
        f"{os.environ.get('WEB_CONCURRENCY', '4')} gunicorn workers, {os.cpu_count()} CPUs"
    )
    print(f"  raw COPY into kpis_measurement (baseline) {baseline:>12,.0f} rows/s")
    print(
        f"  HTTP ingest, first push                   {rate:>12,.0f} rows/s   ratio {ratio:.0%} of COPY   "
        f"p50 {percentile(latencies, 50) * 1000:.0f} ms   p99 {percentile(latencies, 99) * 1000:.0f} ms   "
        f"created {counts['created']:,} updated {counts['updated']:,}"
    )
    print(
        f"  HTTP ingest, replay of every batch        {replay_rate:>12,.0f} rows/s   "
        f"ratio {replay_rate / baseline:.0%} of COPY   p50 {percentile(replay_latencies, 50) * 1000:.0f} ms   "
        f"p99 {percentile(replay_latencies, 99) * 1000:.0f} ms   created {replay_counts['created']:,} "
        f"updated {replay_counts['updated']:,} unchanged {replay_counts['unchanged']:,}"
    )
    checks = [
        ("HTTP ingest >= 40 % of raw COPY", ratio >= TARGETS["ratio"]),
        ("HTTP ingest >= 30,000 points/s", rate >= TARGETS["rows_per_s"]),
        ("p99 <= 250 ms per 1,000-point batch", percentile(latencies, 99) * 1000 <= TARGETS["p99_ms"]),
        ("replay creates and updates nothing", replay_counts["created"] == replay_counts["updated"] == 0),
    ]
    for label, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}")


if __name__ == "__main__":
    main()
