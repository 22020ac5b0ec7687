"""Page benchmark: each page's server time and query count at 12 and at 2,000 initiatives, and the growth.

    make bench   # or: python benchmarks/pages.py --small postgres://.../small_db --large postgres://.../large_db

Two PostgreSQL databases, each built on the first run and reused: the small set is the demo
(`seed_demo`, 12 initiatives); the large set is the demo plus the scorecard benchmark's 2,000
initiatives, 10,000 KPIs, 1,000,000 points and ~400 open reviews (benchmarks/scorecards.py), each
bench initiative created on the day it started. Both get 90 days of nightly snapshots, made by the
product's own recompute as of each past day (kpis.recompute.recompute_as_of, as `recompute_scorecards
--as-of` does), and today's snapshots, so the two sets differ only in the number of initiatives.

The script runs itself once per database, as two child processes that stay up (settings read
DATABASE_URL at startup), each logged in as the demo's `leader` with Django's test client (DEBUG off,
in process: no network, no server). Per page, each makes one warm-up request and one whose queries it
counts. Then the parent times every page RUNS times in each set, from the call until the response is
complete (a streamed one consumed), asking the small set and then the large one in turn, page by
page, and keeps each one's fastest: this machine's speed drifts by a quarter over a minute, and sets
measured minutes apart would compare the drift, not the pages. It prints one table; pages that miss
a target are marked NOT MET, and the exit status is 0 either way.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.scorecards import ensure_data_set, run, scalar, setup_django  # noqa: E402

HISTORY_DAYS = 90
RUNS = 3
MAX_MS = 200
MAX_GROWTH = 1.5
STATIC_BACKEND = "django.contrib.staticfiles.storage.StaticFilesStorage"
DEMO_SLUG = "support-triage-assistant"  # the demo initiative with the longest history

# (label, path, whether it holds more rows as the portfolio grows: then only its time counts, not its growth)
PAGES = [
    ("/approvals/", "/approvals/", False),
    ("/ (my work)", "/", False),
    ("/portfolio/", "/portfolio/", False),
    ("portfolio CSV export", "/portfolio/export.csv", True),
    ("API initiatives ?health=red", "/api/v1/initiatives/?health=red", False),
    ("API initiatives ?page_size=500", "/api/v1/initiatives/?page_size=500", True),
    ("API scorecard", f"/api/v1/initiatives/{DEMO_SLUG}/scorecard/", False),
    ("initiative page", f"/initiatives/{DEMO_SLUG}/", False),
]

# A bench initiative is created, and its roles assigned and accepted, on the day it started (the
# scorecard set stamps them now()), so the snapshots of past days include it as they would have.
BACKDATE = (
    "UPDATE initiatives_initiative SET created_at = started_on "
    "WHERE starts_with(slug, 'bench-sc-') AND created_at > started_on",
    "UPDATE initiatives_roleassignment a SET assigned_at = i.started_on, accepted_at = i.started_on "
    "FROM initiatives_initiative i "
    "WHERE a.initiative_id = i.id AND starts_with(i.slug, 'bench-sc-') AND a.assigned_at > i.started_on",
)


def build(*, large: bool) -> None:
    """The demo, the bench initiatives when `large`, then the snapshot history; each only what is missing."""
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    if large:
        ensure_data_set()
        for sql in BACKDATE:
            run(sql)
    history, today = ensure_history(), ensure_today()
    if history or today:
        run("VACUUM ANALYZE")


def ensure_history() -> int:
    """Store the snapshots of each of the last HISTORY_DAYS days that lacks some, one recompute per day
    (each its own transaction, so an interrupted build resumes); returns how many days it computed."""
    from django.utils import timezone

    from kpis.recompute import end_of_day, past_days, recompute_as_of

    days = past_days(timezone.now().date() - timedelta(days=HISTORY_DAYS), step=timedelta(days=1))
    missing = [day for day in days if snapshots_at(end_of_day(day)) < existing_at(end_of_day(day))]
    began = time.perf_counter()
    for n, day in enumerate(missing, 1):
        result = recompute_as_of([day])
        if result.skipped:
            sys.exit("Another recompute holds the lock; run the page benchmark again when it is done.")
        elapsed = time.perf_counter() - began
        print(f"  snapshots as of {day}: {result.recomputed:,} ({n}/{len(missing)}, {elapsed:.0f} s)", flush=True)
    return len(missing)


def snapshots_at(moment) -> int:
    return scalar("SELECT count(*) FROM kpis_scorecard WHERE computed_at = %(at)s", {"at": moment})


def existing_at(moment) -> int:
    return scalar("SELECT count(*) FROM initiatives_initiative WHERE created_at <= %(at)s", {"at": moment})


def ensure_today() -> bool:
    """A full recompute when some initiative has no snapshot from today, as the scheduled run keeps them."""
    from django.utils import timezone

    from kpis.recompute import recompute_scorecards

    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    stale = scalar(
        "SELECT count(*) FROM initiatives_initiative i WHERE NOT EXISTS "
        "(SELECT 1 FROM kpis_scorecard s WHERE s.initiative_id = i.id AND s.computed_at >= %(midnight)s)",
        {"midnight": midnight},
    )
    if stale:
        recompute_scorecards(full=True)
    return bool(stale)


def count(client) -> dict:
    """Per page, one warm-up request, then one whose queries are counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages = {}
    for label, path, _ in PAGES:
        fetch(client, path)
        with CaptureQueriesContext(connection) as queries:
            status, size = fetch(client, path)
        # Counted now: the next request clears the connection's query log.
        pages[label] = {"ms": float("inf"), "queries": len(queries), "status": status, "kb": size / 1024}
    return pages


def timed(client, path: str) -> float:
    """Milliseconds from the call until the whole body of `path` is read."""
    began = time.perf_counter()
    fetch(client, path)
    return (time.perf_counter() - began) * 1000


def fetch(client, path: str) -> tuple[int, int]:
    """GET `path` and read the whole body, as a server would before the response is complete; returns
    the status and the body's size."""
    response = client.get(path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response.status_code, len(body)


def sizes() -> dict:
    return {
        name: scalar(sql)
        for name, sql in (
            ("initiatives", "SELECT count(*) FROM initiatives_initiative"),
            ("KPIs", "SELECT count(*) FROM kpis_kpi"),
            ("points", "SELECT count(*) FROM kpis_measurement"),
            ("open reviews", "SELECT count(*) FROM governance_gatereview WHERE status = 'open'"),
            ("snapshots", "SELECT count(*) FROM kpis_scorecard"),
        )
    }


def serve(*, large: bool) -> None:
    """In the process of one database: build the set, log in as the leader, then answer the parent, one
    JSON line on stdout for each line it sends: "count" (the pages' statuses, sizes and query counts,
    and the set's size), or a page's label (its time in ms). Everything else this process prints goes
    to stderr."""
    replies, sys.stdout = sys.stdout, sys.stderr
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the test client's host name
    os.environ.setdefault("API_THROTTLE_RATE", "1000000/minute")
    setup_django()
    build(large=large)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    # Static files from the source tree, as in the test suite: the manifest storage that DEBUG off
    # selects needs a collectstatic run first (minutes on a busy machine), and a static URL costs a
    # few microseconds either way.
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_BACKEND}}).enable()
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="leader"))
    paths = {label: path for label, path, _ in PAGES}
    for line in sys.stdin:
        asked = line.strip()
        reply = {"sizes": sizes(), "pages": count(client)} if asked == "count" else timed(client, paths[asked])
        print(json.dumps(reply), file=replies, flush=True)


class Child:
    """This script serving the set at `url` in a process of its own (serve)."""

    def __init__(self, url: str, name: str):
        args = [sys.executable, __file__, "--serve", name]
        env = {**os.environ, "DATABASE_URL": url}
        self.process = subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603

    def ask(self, what: str):
        self.process.stdin.write(what + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f"The benchmark's process for {self.process.args[-1]} stopped; its output is above.")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def measure(small: Child, large: Child) -> dict:
    """Both sets' counts, then RUNS rounds timing every page in the small set and then in the large one,
    keeping each one's fastest."""
    load = os.getloadavg()[0]
    results = {"small": small.ask("count"), "large": large.ask("count")}
    for _ in range(RUNS):
        for label, _, _ in PAGES:
            for name, child in (("small", small), ("large", large)):
                page = results[name]["pages"][label]
                page["ms"] = min(page["ms"], child.ask(label))
    for result in results.values():
        result["load"] = [load, os.getloadavg()[0]]
    return results


def verdict(small: dict, large: dict, grows: bool) -> list[str]:
    """Why a page misses its targets (empty when it meets them)."""
    misses = [f"HTTP {m['status']}" for m in (small, large) if m["status"] != 200]
    slowest = max(small["ms"], large["ms"])
    if slowest > MAX_MS:
        misses.append(f"{slowest:.0f} ms > {MAX_MS}")
    growth = large["ms"] / small["ms"]
    if not grows and growth > MAX_GROWTH:
        misses.append(f"growth {growth:.1f}x > {MAX_GROWTH}x")
    if large["queries"] != small["queries"]:
        misses.append(f"queries {small['queries']} -> {large['queries']}")
    return misses


def print_table(small: dict, large: dict) -> None:
    print(
        f"\nPage benchmark on PostgreSQL, as `leader`, Django test client in process (DEBUG off), best of {RUNS} "
        f"after a warm-up, the two sets timed in turn, {os.cpu_count()} CPUs"
    )
    for name, data in (("small", small), ("large", large)):
        counts = ", ".join(f"{n:,} {what}" for what, n in data["sizes"].items())
        print(f"  {name}: {counts}; load average {data['load'][0]:.1f} to {data['load'][1]:.1f}")
    heads = [f"{data['sizes']['initiatives']:,} initiatives" for data in (small, large)]
    # The body's size tells how much more a page shows at 2,000 initiatives: a full page of rows, say,
    # where the demo fills a fifth of one.
    print(f"\n  {'page':<31} {heads[0]:>18} {heads[1]:>18} {'growth':>7} {'body KB':>13}  {'target':<34} result")
    missed = []
    for label, _, grows in PAGES:
        s, g = small["pages"][label], large["pages"][label]
        misses = verdict(s, g, grows)
        target = f"<= {MAX_MS} ms, same queries" + ("" if grows else f", <= {MAX_GROWTH}x")
        cells = [f"{m['ms']:>7.0f} ms / {m['queries']:>3}" for m in (s, g)]
        result = "NOT MET: " + "; ".join(misses) if misses else "met"
        body = f"{s['kb']:.0f} -> {g['kb']:.0f}"
        print(
            f"  {label:<31} {cells[0]:>18} {cells[1]:>18} {g['ms'] / s['ms']:>6.1f}x {body:>13}  {target:<34} {result}"
        )
        missed += [label] if misses else []
    print(f"\n  {len(PAGES) - len(missed)} of {len(PAGES)} pages within the targets.")
    if missed:
        print(f"  NOT MET: {', '.join(missed)}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Page times and query counts at 12 and at 2,000 initiatives.")
    parser.add_argument("--small", help="PostgreSQL URL of the small set's database (the demo)")
    parser.add_argument("--large", help="PostgreSQL URL of the large set's database")
    parser.add_argument("--serve", choices=["small", "large"], help="internal: serve that set at DATABASE_URL")
    arguments = parser.parse_args(argv)
    if not arguments.serve and not (arguments.small and arguments.large):
        parser.error("--small URL and --large URL are required")
    return arguments


def main(argv: list[str]) -> None:
    arguments = parse_args(argv)
    if arguments.serve:
        serve(large=arguments.serve == "large")
        return
    children = {}
    try:
        # One after the other: each builds its set first, the large one for minutes on its first run.
        for name in ("small", "large"):
            url = getattr(arguments, name)
            print(f"Page benchmark: the {name} set, database {url.rsplit('/', 1)[-1]}", flush=True)
            children[name] = Child(url, name)
            children[name].ask("count")
        results = measure(children["small"], children["large"])
    finally:
        for child in children.values():
            child.close()
    print_table(results["small"], results["large"])


if __name__ == "__main__":
    main(sys.argv[1:])
