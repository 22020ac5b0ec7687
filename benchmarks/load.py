"""Mixed loopback load test: overlapping ingest, racing approvals and browsing leaders, all at once.

    make bench            # or: python benchmarks/load.py  (needs DATABASE_URL on PostgreSQL)
    python benchmarks/load.py --soak [--seconds 300] [--clients 16]   # the soak, benchmarks/soak.py


For LOAD_SECONDS (20) against gunicorn started with `python -m opmodel web`: 4 clients push
overlapping measurement batches (the same keys from several clients, retried on connection
errors and 5xx), 3 approvers each click approve twice at the same moment on one high-risk
foundation review that needs all three, and 2 leaders browse /portfolio/ and /api/v1/initiatives/.
Each run creates its own data under a fresh `load-<time>` slug prefix. It prints requests/s and
p50/p99 per kind, then checks: measurements in the database == distinct keys pushed, the stage
advanced exactly once, no 5xx. Exits 1 when an invariant fails.
"""

import argparse
import http.client
import json
import os
import secrets
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

UTC = timezone.utc  # the datetime module has UTC only from Python 3.11; this runs on 3.10 too

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.ingest import add_leading_kpis, free_port, percentile, setup_django, start_server  # noqa: E402

SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
PUSHERS, APPROVERS, LEADERS = 4, 3, 2
KPIS, BATCH_STEPS = 20, 25  # a batch is KPIS x BATCH_STEPS points; the next batch's window overlaps half of it
ATTEMPTS = 6
OVERRIDE = "Load test: criteria reviewed by hand."
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.connection_errors = 0

    def call(self, kind: str, method: str, path: str, port: int, *, body=None, headers=None):
        """One request on a fresh connection (gunicorn's sync workers close each one); (status, payload) or None."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        began = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            payload = response.read()
        except OSError:
            with self.lock:
                self.connection_errors += 1
            return None
        finally:
            conn.close()
        with self.lock:
            self.latencies[kind].append(time.perf_counter() - began)
            self.statuses[kind][response.status] += 1
        return response.status, payload

    def server_errors(self) -> int:
        return sum(n for codes in self.statuses.values() for status, n in codes.items() if status >= 500)


def prepare(prefix: str) -> dict:
    """Users, tokens, a leader's session and one high-risk initiative with an open foundation review."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from governance.foundation.services import answer_checklist
    from governance.models import AuditEvent, ChecklistItem
    from governance.services import decide, request_review
    from governance.tokens import issue_token
    from initiatives.models import LEADERSHIP_GROUP, Role
    from initiatives.services import assign_role, create_initiative

    users = {
        name: get_user_model().objects.create_user(f"{prefix}-{name}")
        for name in ("pm", "sponsor", "cto", "security", "data", "legal", "leader-1", "leader-2")
    }
    leaders = Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0]
    for name in ("leader-1", "leader-2"):
        users[name].groups.add(leaders)
    pm = users["pm"]
    initiative = create_initiative(
        acting_user=pm, title=f"Load {prefix}", business_unit="Load", risk_tier="high", slug=prefix
    )
    for role, name in ((Role.EXECUTIVE_SPONSOR, "sponsor"), (Role.CTO, "cto")):
        assign_role(initiative.pk, acting_user=pm, role=role, user=users[name])

    def answer_every_question(review, user) -> None:
        # Approvals wait for the gate's executive checklist.
        for item in ChecklistItem.objects.filter(gate=review.gate):
            answer_checklist(review.pk, acting_user=user, item_id=item.pk, answer="yes")

    signoff = request_review(initiative.pk, acting_user=pm, override_reason=OVERRIDE)
    answer_every_question(signoff, users["sponsor"])
    for name in ("sponsor", "cto"):
        decide(signoff.pk, acting_user=users[name], decision="approve")
    for role, name in (
        (Role.SECURITY_RISK, "security"),
        (Role.DATA_PLATFORM, "data"),
        (Role.LEGAL_COMPLIANCE, "legal"),
    ):
        assign_role(initiative.pk, acting_user=pm, role=role, user=users[name])
    review = request_review(initiative.pk, acting_user=pm, override_reason=OVERRIDE)
    answer_every_question(review, users["security"])
    keys = [f"{prefix}.kpi-{n:02d}" for n in range(KPIS)]
    add_leading_kpis(initiative, pm, keys, driver="Load driver")

    def token(name):
        return issue_token(acting_user=users[name], user=users[name], name=f"{prefix} load")[1]

    client = Client()
    client.force_login(users["leader-1"])
    return {
        "initiative": initiative,
        "review": review.pk,
        "keys": keys,
        "pm": token("pm"),
        "approvers": [token(name) for name in ("security", "data", "legal")],
        "leaders": [token(name) for name in ("leader-1", "leader-2")],
        "session": client.cookies["sessionid"].value,
        "events_before": AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0,
    }


def batch_items(index: int, keys: list[str], value: float) -> list[dict]:
    """Batch `index` covers steps [index*h, index*h + BATCH_STEPS), h = BATCH_STEPS/2: neighbours share half."""
    start = index * (BATCH_STEPS // 2)
    return [
        {"kpi": key, "timestamp": (EPOCH + timedelta(minutes=step)).isoformat(), "value": value}
        for step in range(start, start + BATCH_STEPS)
        for key in keys
    ]


def pusher(client: int, port: int, setup: dict, stats: Stats, deadline: float, pushed: set, failures: list):
    """Clients 0 and 2 push the even batches, 1 and 3 the odd ones, each with its own values."""
    headers = {"Authorization": f"Token {setup['pm']}", "Content-Type": "application/json"}
    round_ = 0
    while time.monotonic() < deadline:
        index = 2 * round_ + client % 2
        items = batch_items(index, setup["keys"], float(client * 1000 + round_))
        body = json.dumps({"measurements": items}).encode()
        for attempt in range(ATTEMPTS):
            result = stats.call("push", "POST", "/api/v1/measurements/", port, body=body, headers=headers)
            if result and result[0] == 200:
                with stats.lock:
                    pushed.update((i["kpi"], i["timestamp"], "api") for i in items)
                break
            if result and result[0] < 500:
                failures.append(f"push got {result[0]}: {result[1][:200]!r}")
                return
            time.sleep(0.1 * 2**attempt)
        else:
            failures.append(f"batch {index} still failing after {ATTEMPTS} attempts")
            return
        round_ += 1


def approver(token: str, port: int, review: int, stats: Stats, barrier: threading.Barrier, outcomes: list):
    """Wait for the others, then click approve (and, like an impatient user, click again at once)."""
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    body = json.dumps({"decision": "approve"}).encode()
    barrier.wait(timeout=60)
    for _ in range(2):
        result = stats.call(
            "approve", "POST", f"/api/v1/gate-reviews/{review}/decisions/", port, body=body, headers=headers
        )
        outcomes.append(result[0] if result else None)


def leader(n: int, port: int, setup: dict, stats: Stats, deadline: float):
    page = {"Cookie": f"sessionid={setup['session']}"}
    api = {"Authorization": f"Token {setup['leaders'][n]}"}
    while time.monotonic() < deadline:
        stats.call("portfolio page", "GET", "/portfolio/", port, headers=page)
        stats.call("initiatives api", "GET", "/api/v1/initiatives/", port, headers=api)


def run(port: int, setup: dict) -> tuple[Stats, float, set, list, list]:
    stats, pushed, failures, approvals = Stats(), set(), [], []
    deadline = time.monotonic() + SECONDS
    barrier = threading.Barrier(APPROVERS + 1)
    threads = [
        *(
            threading.Thread(target=pusher, args=(c, port, setup, stats, deadline, pushed, failures))
            for c in range(PUSHERS)
        ),
        *(
            threading.Thread(target=approver, args=(token, port, setup["review"], stats, barrier, approvals))
            for token in setup["approvers"]
        ),
        *(threading.Thread(target=leader, args=(n, port, setup, stats, deadline)) for n in range(LEADERS)),
    ]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(SECONDS / 3)  # approve while the pushes and the browsing are in full swing
    barrier.wait(timeout=60)
    for thread in threads:
        thread.join()
    return stats, time.monotonic() - began, pushed, failures, approvals


def main() -> None:
    os.environ.setdefault("API_THROTTLE_RATE", "1000000/minute")
    setup_django()
    from django.db.models import Count

    from governance.models import AuditEvent
    from initiatives.models import Initiative, Stage
    from kpis.models import Measurement

    prefix = f"load-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    setup = prepare(prefix)
    port = free_port()
    server = start_server(port)
    try:
        stats, wall, pushed, failures, approvals = run(port, setup)
    finally:
        server.terminate()
        server.wait(timeout=30)

    initiative = Initiative.objects.get(pk=setup["initiative"].pk)
    stored = Measurement.objects.filter(kpi__initiative=initiative)
    rows = stored.count()
    distinct = stored.values("kpi", "timestamp", "source").distinct().count()
    stage_changes = AuditEvent.objects.filter(
        pk__gt=setup["events_before"], initiative_id=initiative.pk, action="initiative.stage_changed"
    ).count()
    batches = stats.statuses["push"].get(200, 0)

    print(
        f"\nLoad test on PostgreSQL ({prefix}): {wall:.1f} s, {PUSHERS} pushers, {APPROVERS} approvers, "
        f"{LEADERS} leaders, {os.environ.get('WEB_CONCURRENCY', '4')} gunicorn workers, {os.cpu_count()} CPUs"
    )
    for kind, latencies in sorted(stats.latencies.items()):
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(stats.statuses[kind].items()))
        print(
            f"  {kind:<16} {len(latencies):>6} requests {len(latencies) / wall:>8.1f}/s   "
            f"p50 {percentile(latencies, 50) * 1000:>6.0f} ms   p99 {percentile(latencies, 99) * 1000:>6.0f} ms   "
            f"({codes})"
        )
    print(
        f"  pushed {batches} batches of {KPIS * BATCH_STEPS} points, {len(pushed):,} distinct keys; "
        f"stored {rows:,} rows, {distinct:,} distinct keys; connection errors {stats.connection_errors}"
    )
    print(f"  approvals answered {sorted(approvals, key=str)}; stage now {initiative.stage}")
    per_key = stored.values("kpi", "timestamp", "source").annotate(n=Count("id")).filter(n__gt=1).count()
    checks = [
        ("every pushed batch was acknowledged", not failures),
        ("measurements stored == distinct keys pushed", rows == distinct == len(pushed) and per_key == 0),
        ("the stage advanced exactly once", stage_changes == 1 and initiative.stage == Stage.MEASURE_IMPACT),
        ("three approvals recorded, each repeat refused", sorted(approvals, key=str) == [201] * 3 + [409] * 3),
        ("zero 5xx responses", stats.server_errors() == 0),
    ]
    for label, ok in checks:
        print(f"  [{'ok' if ok else 'FAILED'}] {label}")
    for failure in failures[:5]:
        print(f"  {failure}")
    if not all(ok for _, ok in checks):
        sys.exit(1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Loopback load test; --soak for the sustained soak.")
    parser.add_argument("--soak", action="store_true", help="run the soak (benchmarks/soak.py) instead")
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("SOAK_SECONDS", "300")),
        help="soak duration (SOAK_SECONDS, default 300)",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=int(os.environ.get("SOAK_CLIENTS", "16")),
        help="soak client threads (SOAK_CLIENTS, default 16)",
    )
    parser.add_argument("--log-dir", help="soak: keep the web, worker and beat logs in this directory")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    if arguments.soak:
        from benchmarks import soak

        soak.main(arguments)
    else:
        main()
