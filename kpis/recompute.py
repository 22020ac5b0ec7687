"""The scheduled scorecard recompute: single-flight, safe to rerun, and it loses no dirty mark."""

import time as time_module
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kpis.scorecard_events import emit_scorecard_events
from kpis.scorecard_sql import store_past_scorecards, store_scorecards
from opmodel import metrics
from opmodel.compat import UTC

LOCK = "recompute-scorecards"


@dataclass(frozen=True)
class RecomputeResult:
    recomputed: int
    skipped: bool = False


def recompute_scorecards(*, full: bool = False) -> RecomputeResult:
    """In one transaction: return at once when another run is in progress; otherwise store a snapshot
    of every initiative (full) or of the dirty ones and clear the marks that did not move meanwhile
    (kpis.scorecard_sql.store_scorecards), and put the health changes and guardrail breaches they show
    in the webhook outbox (kpis.scorecard_events)."""
    started = time_module.monotonic()
    with transaction.atomic():
        if not _only_run():
            return RecomputeResult(0, skipped=True)
        now = timezone.now()
        recomputed = store_scorecards(now, full=full)
        if recomputed:
            emit_scorecard_events(now)
    # Counted once committed, in the process that ran it: the Celery worker's (opmodel/metrics.py).
    metrics.record_recompute(full=full, recomputed=recomputed, seconds=time_module.monotonic() - started)
    return RecomputeResult(recomputed)


def end_of_day(day: date) -> datetime:
    """The moment a snapshot "as of" `day` stands for: the end of that day, UTC, as the portfolio and the
    scorecard API read `as_of`."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def past_days(since: date, *, step: timedelta = timedelta(days=7)) -> list[date]:
    """`since`, then every `step` after it, up to yesterday (UTC): the days a backfill computes."""
    today = timezone.now().astimezone(UTC).date()
    days, day = [], since
    while day < today:
        days.append(day)
        day += step
    return days


def recompute_as_of(days: list[date]) -> RecomputeResult:
    """Store, for each past day, a snapshot of every initiative that existed then, as it stood at the end of
    that day (kpis.scorecard_sql.store_past_scorecards). Single-flight like the scheduled run; a rerun
    replaces the snapshots of those days rather than adding more."""
    today = timezone.now().astimezone(UTC).date()
    if any(day >= today for day in days):
        raise ValueError("Only a past day has a snapshot as of its end; today's comes from a normal recompute.")
    with transaction.atomic():
        if not _only_run():
            return RecomputeResult(0, skipped=True)
        return RecomputeResult(sum(store_past_scorecards(end_of_day(day)) for day in days))


def _only_run() -> bool:
    """True when no other recompute is in progress, and then none starts until this transaction ends.

    PostgreSQL: a transaction-level advisory lock, which commit, rollback and the end of the session
    release. A worker killed mid-run frees it once PostgreSQL ends the run's statement (at the latest
    after the task's time limit) and notices the session is gone: there is nothing to expire. The
    commit does not wait for the disk either: a crash loses the snapshots and the cleared marks
    together, and the next run redoes them.

    SQLite: transactions begin IMMEDIATE (opmodel/settings.py), so this one already holds the
    database's only write lock; a second run waits for it.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            f"SET LOCAL statement_timeout = '{settings.CELERY_TASK_TIME_LIMIT}s'; SET LOCAL synchronous_commit = off; "
            "SELECT pg_try_advisory_xact_lock(hashtext(%s))",
            [LOCK],
        )
        return cursor.fetchone()[0]
