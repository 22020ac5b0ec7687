"""Soak: the production processes under sustained mixed load, checked for errors, exact counts and memory.

    python benchmarks/load.py --soak [--seconds 300] [--clients 16]   (SOAK_SECONDS, SOAK_CLIENTS)

Starts gunicorn (`python -m opmodel web`, WEB_CONCURRENCY workers), a Celery worker and beat
(`python -m opmodel worker|beat`, on REDIS_URL) with the scheduled recompute and the approver and
notification emails every few seconds, then runs the clients until the time is up, each in one role:

- push: measurement batches whose windows overlap their neighbours', retried on connection errors
  and 503 (at most ATTEMPTS times); the distinct keys acknowledged are counted;
- browse: a leader on /, /portfolio/ and GET /api/v1/initiatives/;
- approvals: an approver on /approvals/ and GET /api/v1/gate-reviews/?status=open;
- export: a leader downloading /portfolio/export.csv;
- decide: one initiative per client cycled through the API by distinct users (segregation of
  duties): the PM requests charter sign-off, the sponsor answers its checklist and approves, the PM
  requests foundation, security answers and approves, data platform recycles it to define-outcome.

Memory is the VmRSS of the web process tree (gunicorn's master and workers) and of the worker's
(Celery's main process and its pool), read from /proc when the warm-up ends and again at the end.
The warm-up is a burst of every kind of request, twice as many at once as there are gunicorn
workers (so each worker has imported and cached what it serves), then the first 10 % of the run.
It prints requests, requests/s, p50 and p99 per kind, the 5xx count, the memory and the scheduled
work done, then PASS or FAIL per target: no 5xx, every count in the database exactly what the
clients were told, memory growth under 10 % per process tree. Exits 1 when a target fails.
All traffic is on 127.0.0.1; every loop ends by count or time.
"""

import itertools
import json
import os
import re
import secrets
import signal
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
from benchmarks.ingest import add_leading_kpis, free_port, percentile, setup_django  # noqa: E402
from benchmarks.load import Stats  # noqa: E402

# The first clients cover every role, so a short run with few clients still exercises them all;
# 16 clients are 6 pushers, 4 browsing leaders, 3 deciders, 2 approvers browsing and 1 exporter.
ROLES = [
    *("push", "browse", "decide", "approvals", "export"),
    *("push", "browse", "push", "decide", "push", "browse", "approvals", "push", "decide", "browse", "push"),
]
KPIS, BATCH_STEPS = 20, 10  # a batch is KPIS x BATCH_STEPS points; the next batch's window overlaps half of it
ATTEMPTS = 6
OPEN_REVIEWS = 8  # standing open reviews, so the approvals pages always list some
MEMORY_GROWTH_LIMIT = 0.10
SCHEDULED = {"recompute_scorecards_task", "notify_new_reviews_task", "email_notifications_task"}
OVERRIDE = "Soak test: criteria reviewed by hand."
RECYCLE = "Soak test: back to the charter for another round."
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
DEADLINE_SLACK = 120  # no request may start after the deadline; this bounds the slowest one's answer


def roles_for(clients: int) -> list[str]:
    return [ROLES[n % len(ROLES)] for n in range(clients)]


# Preparation (in this process, through the services) ------------------------------------------------


def prepare(prefix: str, deciders: int) -> dict:
    """Users with email addresses, a push initiative with KPIS KPIs, one initiative per decider and
    OPEN_REVIEWS initiatives with an open charter review, tokens for the API, sessions for the pages."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from governance.models import AuditEvent
    from governance.services import request_review
    from governance.tokens import issue_token
    from initiatives.models import LEADERSHIP_GROUP, Role
    from initiatives.services import assign_role, create_initiative

    names = ("pm", "sponsor", "security", "data", "leader-1", "leader-2")
    users = {
        name: get_user_model().objects.create_user(f"{prefix}-{name}", email=f"{prefix}-{name}@soak.invalid")
        for name in names
    }
    leaders = Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0]
    for name in ("leader-1", "leader-2"):
        users[name].groups.add(leaders)
    pm = users["pm"]

    def initiative(suffix: str):
        created = create_initiative(
            acting_user=pm,
            title=f"Soak {prefix} {suffix}",
            business_unit="Soak",
            risk_tier="medium",
            slug=f"{prefix}-{suffix}",
        )
        for role, name in (
            (Role.EXECUTIVE_SPONSOR, "sponsor"),
            (Role.SECURITY_RISK, "security"),
            (Role.DATA_PLATFORM, "data"),
        ):
            assign_role(created.pk, acting_user=pm, role=role, user=users[name])
        return created

    pushed = initiative("push")
    keys = [f"{prefix}.kpi-{n:02d}" for n in range(KPIS)]
    add_leading_kpis(pushed, pm, keys, driver="Soak driver")
    decided = [initiative(f"decide-{n}") for n in range(deciders + 1)]  # the last one for the warm-up
    for n in range(OPEN_REVIEWS):
        request_review(initiative(f"open-{n}").pk, acting_user=pm, override_reason=OVERRIDE)

    def token(name):
        return issue_token(acting_user=users[name], user=users[name], name=f"{prefix} soak")[1]

    def session(name):
        client = Client()
        client.force_login(users[name])
        return client.cookies["sessionid"].value

    return {
        "push_initiative": pushed.pk,
        "decide_initiatives": [(i.pk, i.slug) for i in decided[:-1]],
        "warm_up_initiative": (decided[-1].pk, decided[-1].slug),
        "keys": keys,
        "tokens": {name: token(name) for name in names},
        "sessions": {name: session(name) for name in ("leader-1", "leader-2", "sponsor", "security")},
        "events_before": AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0,
    }


# Processes --------------------------------------------------------------------------------------------


def tree_pids(root: int) -> list[int]:
    """root and every process descended from it, from each process's parent in /proc/<pid>/stat."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total


class Processes:
    """web, worker and beat as `python -m opmodel` starts them, each in its own session, logging to var_dir."""

    def __init__(self, var_dir: Path, port: int, interval: int):
        redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        self.var_dir = var_dir
        self.port = port
        self.environment = {
            **os.environ,
            "DEBUG": "0",
            "HTTPS_ONLY": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "4"),
            "WORKER_CONCURRENCY": os.environ.get("WORKER_CONCURRENCY", "2"),
            "API_THROTTLE_RATE": "1000000/minute",
            "REDIS_URL": redis_url,
            "SCORECARD_RECOMPUTE_SECONDS": str(interval),
            "NOTIFY_EVERY_SECONDS": str(interval),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"):
            self.environment.pop(name, None)
        self.started: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        for name in ("web", "worker", "beat"):
            # Web keeps the default var/ (its collected static files); worker and beat get a fresh
            # directory, so beat starts from an empty schedule.
            env = self.environment if name == "web" else {**self.environment, "OPMODEL_VAR_DIR": str(self.var_dir)}
            with (self.var_dir / f"{name}.log").open("w") as log:
                self.started[name] = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                    [sys.executable, "-m", "opmodel", name],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def log(self, name: str) -> str:
        return (self.var_dir / f"{name}.log").read_text(errors="replace")

    def wait_until_up(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if dead := [name for name, process in self.started.items() if process.poll() is not None]:
                self.fail(f"{dead[0]} exited with code {self.started[dead[0]].returncode}")
            if (
                self.accepts()
                and re.search(r"celery@\S+ ready", self.log("worker"))
                and "beat: Starting" in self.log("beat")
            ):
                return
            time.sleep(0.5)
        self.fail(f"web, worker and beat were not all up within {timeout:.0f} s")

    def accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def memory(self) -> dict[str, tuple[int, int]]:
        """{name: (KiB, number of processes)} for each process tree."""
        trees = {name: tree_pids(process.pid) for name, process in self.started.items()}
        return {name: (rss_kib(pids), len(pids)) for name, pids in trees.items()}

    def stop(self) -> None:
        for process in self.started.values():
            if process.poll() is None:
                process.terminate()
        for process in self.started.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def fail(self, message: str) -> None:
        self.stop()
        logs = "".join(f"--- {name}.log\n{self.log(name)[-3000:]}\n" for name in self.started)
        sys.exit(f"Soak: {message}.\n{logs}")


# Clients ----------------------------------------------------------------------------------------------


class Run:
    """What the clients share: the port, the deadline, the statistics and what the server acknowledged."""

    def __init__(self, port: int, setup: dict, deadline: float):
        self.port = port
        self.setup = setup
        self.deadline = deadline
        self.stats = Stats()
        self.lock = threading.Lock()
        self.pushed: set[tuple[str, str]] = set()
        self.failures: list[str] = []
        self.decided: dict[int, dict] = {}
        self.warmup_stats = Stats()

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)

    def get(self, kind: str, path: str, headers: dict) -> bool:
        """One GET that must answer 200; False (and a failure noted) otherwise."""
        result = self.stats.call(kind, "GET", path, self.port, headers=headers)
        if result is None or result[0] != 200:
            self.fail(f"{kind} GET {path} answered {result[0] if result else 'a connection error'}")
            return False
        return True


def api(token: str) -> dict:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json"}


def page(session: str) -> dict:
    return {"Cookie": f"sessionid={session}"}


def push(run: Run, index: int, value: float) -> bool:
    """Push batch window `index` (it starts at index * BATCH_STEPS / 2 minutes, so it shares half its keys
    with each neighbour), retried on connection errors and 503; False (and a failure noted) if refused."""
    keys = run.setup["keys"]
    start = index * (BATCH_STEPS // 2)
    items = [
        {"kpi": key, "timestamp": (EPOCH + timedelta(minutes=step)).isoformat(), "value": value}
        for step in range(start, start + BATCH_STEPS)
        for key in (keys if index % 2 else reversed(keys))
    ]
    body = json.dumps({"measurements": items}).encode()
    headers = api(run.setup["tokens"]["pm"])
    for attempt in range(ATTEMPTS):
        result = run.stats.call("push", "POST", "/api/v1/measurements/", run.port, body=body, headers=headers)
        if result and result[0] == 200:
            with run.lock:
                run.pushed.update((item["kpi"], item["timestamp"]) for item in items)
            return True
        if result and result[0] != 503:
            run.fail(f"push answered {result[0]}: {result[1][:200]!r}")
            return False
        time.sleep(0.1 * 2**attempt)
    run.fail(f"batch {index} still refused after {ATTEMPTS} attempts")
    return False


def pusher(run: Run, client: int, pushers: int) -> None:
    """Pusher c pushes windows c, c + pushers, ...: its neighbours push the windows either side at once."""
    index = client
    while run.running() and push(run, index, float(client + index)):
        index += pushers


def browser(run: Run, client: int) -> None:
    leader = ("leader-1", "leader-2")[client % 2]
    session, token = page(run.setup["sessions"][leader]), api(run.setup["tokens"][leader])
    visits = [("home page", "/", session), ("portfolio page", "/portfolio/", session)]
    visits.append(("initiatives api", "/api/v1/initiatives/", token))
    while run.running():
        for kind, path, headers in visits:
            if not run.get(kind, path, headers):
                return


def approvals(run: Run, client: int) -> None:
    approver = ("sponsor", "security")[client % 2]
    session, token = page(run.setup["sessions"][approver]), api(run.setup["tokens"][approver])
    while run.running():
        if not run.get("approvals page", "/approvals/", session):
            return
        if not run.get("gate-reviews api", "/api/v1/gate-reviews/?status=open", token):
            return


def exporter(run: Run, client: int) -> None:
    session = page(run.setup["sessions"][("leader-1", "leader-2")[client % 2]])
    while run.running():
        if not run.get("csv export", "/portfolio/export.csv", session):
            return


# One decision cycle: (kind, who, path template, body, stage change) per step.
CYCLE = [
    ("request review", "pm", "/api/v1/gate-reviews/", {"override_reason": OVERRIDE}, False),
    ("decide", "sponsor", "/api/v1/gate-reviews/{review}/decisions/", {"decision": "approve"}, True),
    ("request review", "pm", "/api/v1/gate-reviews/", {"override_reason": OVERRIDE}, False),
    ("decide", "security", "/api/v1/gate-reviews/{review}/decisions/", {"decision": "approve"}, False),
    (
        "decide",
        "data",
        "/api/v1/gate-reviews/{review}/decisions/",
        {"decision": "recycle", "comment": RECYCLE, "recycle_to": "define-outcome"},
        True,
    ),
]
STAGES_AFTER = {1: "secure-foundation", 4: "define-outcome"}


def decider(run: Run, initiative: tuple[int, str], steps: int | None = None) -> None:
    """Cycle one initiative through sign-off, foundation and a recycle (until the run ends, or for
    `steps` requests); every answer must be 201. A request is never retried: its effect is counted
    only when acknowledged."""
    pk, slug = initiative
    done = run.decided[pk] = {"reviews": 0, "decisions": 0, "stage changes": 0, "stage": "define-outcome"}
    review = None
    step = 0
    for _ in range(steps) if steps is not None else itertools.count():
        if not run.running():
            break
        kind, who, path, body, moves = CYCLE[step]
        if kind == "request review":
            body = {**body, "initiative": slug}
        elif body["decision"] == "approve" and not answer_checklist(run, who, review, slug):
            return
        result = run.stats.call(
            kind,
            "POST",
            path.format(review=review),
            run.port,
            body=json.dumps(body).encode(),
            headers=api(run.setup["tokens"][who]),
        )
        if result is None or result[0] != 201:
            run.fail(f"{kind} by {who} on {slug} answered {result[0] if result else 'a connection error'}")
            return
        if kind == "request review":
            review = json.loads(result[1])["id"]
            done["reviews"] += 1
        else:
            done["decisions"] += 1
        done["stage changes"] += moves
        done["stage"] = STAGES_AFTER.get(step, done["stage"])
        step = (step + 1) % len(CYCLE)


def answer_checklist(run: Run, who: str, review: int, slug: str) -> bool:
    """An approval waits for the gate's executive checklist: answer every open question "yes" first."""
    headers = api(run.setup["tokens"][who])
    path = f"/api/v1/gate-reviews/{review}/checklist/"
    result = run.stats.call("checklist", "GET", path, run.port, headers=headers)
    if result is None or result[0] != 200:
        run.fail(f"checklist GET by {who} on {slug} answered {result[0] if result else 'a connection error'}")
        return False
    for question in json.loads(result[1]):
        if question["answer"] is not None:
            continue
        body = json.dumps({"item": question["item"], "answer": "yes"}).encode()
        result = run.stats.call("checklist answer", "POST", path, run.port, body=body, headers=headers)
        if result is None or result[0] != 200:
            run.fail(f"checklist answer by {who} on {slug} answered {result[0] if result else 'a connection error'}")
            return False
    return True


def warm_up(run: Run, web_workers: int) -> None:
    """Every kind of request, 2 x web_workers at once, so that each gunicorn worker has most likely
    served each kind (imported its code, filled its caches) before the memory at start is read.
    Pushes go to windows before the run's own (negative indices); they count among the keys pushed."""
    sessions, tokens = run.setup["sessions"], run.setup["tokens"]
    reads = [
        ("home page", "/", page(sessions["leader-1"])),
        ("portfolio page", "/portfolio/", page(sessions["leader-1"])),
        ("initiatives api", "/api/v1/initiatives/", api(tokens["leader-1"])),
        ("approvals page", "/approvals/", page(sessions["sponsor"])),
        ("gate-reviews api", "/api/v1/gate-reviews/?status=open", api(tokens["sponsor"])),
        ("csv export", "/portfolio/export.csv", page(sessions["leader-1"])),
    ]
    bursts = [[(push, (run, -1 - n, 0.0)) for n in range(2 * web_workers)]]
    bursts += [[(run.get, read)] * (2 * web_workers) for read in reads]
    # One decision cycle on an initiative of its own (checked at the end like the deciders' ones).
    bursts.append([(decider, (run, run.setup["warm_up_initiative"], len(CYCLE)))])
    for burst in bursts:
        threads = [threading.Thread(target=target, args=args, daemon=True) for target, args in burst]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE_SLACK)


def run_clients(port: int, setup: dict, seconds: float, warmup: float, clients: int, processes) -> tuple:
    roles = roles_for(clients)
    run = Run(port, setup, time.monotonic() + DEADLINE_SLACK)  # bounds the warm-up
    deciders = iter(setup["decide_initiatives"])
    pushers = roles.count("push")
    targets = {
        "push": lambda n: (pusher, (run, roles[:n].count("push"), pushers)),
        "browse": lambda n: (browser, (run, n)),
        "approvals": lambda n: (approvals, (run, n)),
        "export": lambda n: (exporter, (run, n)),
        "decide": lambda n: (decider, (run, next(deciders))),
    }
    warm_up(run, int(processes.environment["WEB_CONCURRENCY"]))
    run.warmup_stats, run.stats = run.stats, Stats()
    run.deadline = time.monotonic() + seconds
    threads = []
    for n, role in enumerate(roles):
        target, args = targets[role](n)
        threads.append(threading.Thread(target=target, args=args, name=f"soak-{role}-{n}", daemon=True))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, began + warmup - time.monotonic()))
    memory_start = processes.memory()
    for thread in threads:
        thread.join(timeout=max(1.0, run.deadline + DEADLINE_SLACK - time.monotonic()))
    wall = time.monotonic() - began
    if alive := [thread.name for thread in threads if thread.is_alive()]:
        run.fail(f"clients still waiting for an answer {DEADLINE_SLACK} s after the end: {', '.join(alive)}")
    memory_end = processes.memory()
    return run, wall, memory_start, memory_end


# Report -----------------------------------------------------------------------------------------------


def scheduled_work(worker_log: str) -> dict[str, tuple[int, int]]:
    """{task: (runs, sum of results)} from the worker's "Task <name>[id] succeeded in ...: <n>" lines."""
    work: dict[str, tuple[int, int]] = {}
    for name, value in re.findall(r"Task ([\w.]+)\[[^\]]+\] succeeded in [\d.]+s: (\d+|True|False)", worker_log):
        runs, total = work.get(name.rsplit(".", 1)[1], (0, 0))
        work[name.rsplit(".", 1)[1]] = (runs + 1, total + (int(value) if value.isdigit() else 0))
    return work


def database_counts(setup: dict, run: Run) -> list[tuple[str, bool, str]]:
    """(label, ok, detail) comparing what is stored with what the clients were acknowledged."""
    from django.db.models import Count

    from governance.models import AuditEvent, GateDecision, GateReview
    from initiatives.models import Initiative
    from kpis.models import Measurement

    stored = Measurement.objects.filter(kpi__initiative_id=setup["push_initiative"])
    rows = stored.count()
    duplicates = stored.values("kpi", "timestamp", "source").annotate(n=Count("id")).filter(n__gt=1).count()
    results = [
        (
            "measurements stored == distinct keys acknowledged",
            rows == len(run.pushed) and duplicates == 0,
            f"{rows:,} stored, {len(run.pushed):,} acknowledged, {duplicates} duplicated",
        )
    ]
    for pk, done in sorted(run.decided.items()):
        initiative = Initiative.objects.get(pk=pk)
        found = {
            "reviews": GateReview.objects.filter(initiative_id=pk).count(),
            "decisions": GateDecision.objects.filter(review__initiative_id=pk).count(),
            "stage changes": AuditEvent.objects.filter(
                pk__gt=setup["events_before"], initiative_id=pk, action="initiative.stage_changed"
            ).count(),
            "stage": initiative.stage,
        }
        results.append(
            (
                f"{initiative.slug}: reviews, decisions, stage changes and stage as acknowledged",
                found == done,
                ", ".join(f"{name} {found[name]}/{done[name]}" for name in done),
            )
        )
    return results


def report(args, prefix: str, run: Run, wall: float, memory: tuple, work: dict, counts: list) -> bool:
    stats, (start, end) = run.stats, memory
    roles = roles_for(args.clients)
    print(
        f"\nSoak on PostgreSQL ({prefix}): {wall:.0f} s, {args.clients} clients "
        f"({', '.join(f'{roles.count(r)} {r}' for r in dict.fromkeys(roles))}), "
        f"{os.environ.get('WEB_CONCURRENCY', '4')} gunicorn workers, a Celery worker "
        f"({os.environ.get('WORKER_CONCURRENCY', '2')} processes) and beat, {os.cpu_count()} CPUs"
    )
    print(f"  {'kind':<17} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}   statuses")
    all_latencies = []
    for kind, latencies in sorted(stats.latencies.items()):
        all_latencies += latencies
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(stats.statuses[kind].items()))
        print(
            f"  {kind:<17} {len(latencies):>9,} {len(latencies) / wall:>8.1f} "
            f"{percentile(latencies, 50) * 1000:>8.0f} {percentile(latencies, 99) * 1000:>8.0f}   {codes}"
        )
    if all_latencies:
        print(
            f"  {'total':<17} {len(all_latencies):>9,} {len(all_latencies) / wall:>8.1f} "
            f"{percentile(all_latencies, 50) * 1000:>8.0f} {percentile(all_latencies, 99) * 1000:>8.0f}"
        )
    server_errors = stats.server_errors() + run.warmup_stats.server_errors()
    warmup_requests = sum(len(latencies) for latencies in run.warmup_stats.latencies.values())
    print(
        f"  5xx responses: {server_errors}; connection errors: "
        f"{stats.connection_errors + run.warmup_stats.connection_errors} "
        f"(including the {warmup_requests} warm-up requests before the run)"
    )
    print(f"  points acknowledged: {len(run.pushed):,} distinct keys")
    done = ", ".join(f"{name} {runs} runs ({total} sent or recomputed)" for name, (runs, total) in sorted(work.items()))
    print(f"  scheduled work in the worker: {done or 'none'}")
    growth = {}
    for name in ("web", "worker", "beat"):
        (kib_start, n_start), (kib_end, n_end) = start[name], end[name]
        growth[name] = (kib_end - kib_start) / kib_start if kib_start else float("inf")
        print(
            f"  memory {name:<6} {kib_start / 1024:>7.1f} MiB ({n_start} processes) -> "
            f"{kib_end / 1024:>7.1f} MiB ({n_end} processes)   {growth[name]:+.1%}"
        )
    for label, ok, detail in counts:
        print(f"  [{'ok' if ok else 'MISMATCH'}] {label}: {detail}")
    targets = [
        ("0 5xx responses", server_errors == 0),
        ("every request answered as expected", not run.failures),
        ("exact counts in the database", all(ok for _, ok, _ in counts)),
        ("the worker ran the scheduled recompute and emails", set(work) >= SCHEDULED),
        *(
            (f"{name} memory growth < {MEMORY_GROWTH_LIMIT:.0%}", growth[name] < MEMORY_GROWTH_LIMIT)
            for name in ("web", "worker")
        ),
    ]
    for label, ok in targets:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
    for failure in run.failures[:5]:
        print(f"  {failure}")
    return all(ok for _, ok in targets)


def main(args) -> None:
    os.environ.setdefault("API_THROTTLE_RATE", "1000000/minute")
    setup_django()
    if args.clients < 5:
        sys.exit("The soak needs at least 5 clients (one per role).")
    seconds = args.seconds
    warmup = seconds / 10
    interval = max(1, int(warmup / 3))  # scheduled tasks run a few times in the warm-up already
    prefix = f"soak-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    setup = prepare(prefix, roles_for(args.clients).count("decide"))
    port = free_port()
    print(
        f"Soak: {seconds:.0f} s with {args.clients} clients on 127.0.0.1:{port}; memory at start read after "
        f"a warm-up burst and the first {warmup:.0f} s; scheduled tasks every {interval} s",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="opmodel-soak-") as temporary:
        var_dir = Path(args.log_dir or temporary)  # --log-dir keeps the processes' logs
        var_dir.mkdir(parents=True, exist_ok=True)
        processes = Processes(var_dir, port, interval)
        processes.start()
        try:
            processes.wait_until_up()
            run, wall, memory_start, memory_end = run_clients(port, setup, seconds, warmup, args.clients, processes)
        finally:
            processes.stop()
        work = scheduled_work(processes.log("worker"))
        problems = [
            f"{name}.log: {line.strip()[:300]}"
            for name in ("web", "worker", "beat")
            for line in processes.log(name).splitlines()
            if re.search(r"\b(ERROR|CRITICAL|Traceback)\b|raised unexpected", line)
        ]
    ok = report(args, prefix, run, wall, (memory_start, memory_end), work, database_counts(setup, run))
    print(f"  {'FAIL' if problems else 'PASS'}  no error in the web, worker and beat logs")
    for problem in problems[:10]:
        print(f"  {problem}")
    if not ok or problems:
        sys.exit(1)
