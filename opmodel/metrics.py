"""OpModel's own Prometheus metrics: those that happen in a process (README: "Health and metrics").

They are counted where the event happens: ingest in a gunicorn worker, the scorecard recompute in a
Celery worker. prometheus_client keeps each process's values in files under PROMETHEUS_MULTIPROC_DIR,
which `python -m opmodel web|worker` sets before the server starts (opmodel/__main__.py), and /metrics
adds up the files of every process (opmodel.ops). Figures that are facts of the database (dirty
initiatives, open reviews) are not counted here: /metrics reads them at scrape time (opmodel.ops).
Without PROMETHEUS_MULTIPROC_DIR (tests, `manage.py runserver`) the values live in the process.

This module imports nothing of OpModel's, so any module may record a metric.
"""

from prometheus_client import Counter, Histogram

# A batch of 10,000 items takes about a second on PostgreSQL (benchmarks/); the top buckets catch stalls.
_INGEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# The set-based recompute of the demo portfolio takes tens of milliseconds; thousands of initiatives, seconds.
_RECOMPUTE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

MEASUREMENTS_INGESTED = Counter(
    "opmodel_measurements_ingested",
    "Measurement items accepted by ingest, by channel (api, csv) and outcome (created, updated, unchanged).",
    ["channel", "outcome"],
)
INGEST_BATCH_SECONDS = Histogram(
    "opmodel_ingest_batch_duration_seconds",
    "Time to validate and write one accepted ingest batch, retries included.",
    ["channel"],
    buckets=_INGEST_BUCKETS,
)
RECOMPUTE_SECONDS = Histogram(
    "opmodel_scorecard_recompute_duration_seconds",
    "Time of one scorecard recompute that ran (not one skipped because another was in progress), "
    "by scope: dirty (the scheduled run) or full (nightly, or recompute_scorecards --all).",
    ["scope"],
    buckets=_RECOMPUTE_BUCKETS,
)
SCORECARDS_RECOMPUTED = Counter(
    "opmodel_scorecards_recomputed",
    "Scorecard snapshots stored by the recompute, by scope (dirty or full).",
    ["scope"],
)


def record_ingest(channel: str, *, created: int, updated: int, unchanged: int, seconds: float) -> None:
    for outcome, count in (("created", created), ("updated", updated), ("unchanged", unchanged)):
        MEASUREMENTS_INGESTED.labels(channel=channel, outcome=outcome).inc(count)
    INGEST_BATCH_SECONDS.labels(channel=channel).observe(seconds)


def record_recompute(*, full: bool, recomputed: int, seconds: float) -> None:
    scope = "full" if full else "dirty"
    RECOMPUTE_SECONDS.labels(scope=scope).observe(seconds)
    SCORECARDS_RECOMPUTED.labels(scope=scope).inc(recomputed)
