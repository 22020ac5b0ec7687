"""The scheduled scorecard recompute: single-flight, safe to rerun, and it loses no dirty mark."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kpis.scorecard_sql import store_scorecards

LOCK = "recompute-scorecards"


@dataclass(frozen=True)
class RecomputeResult:
    recomputed: int
    skipped: bool = False


def recompute_scorecards(*, full: bool = False) -> RecomputeResult:
    """In one transaction: return at once when another run is in progress; otherwise store a snapshot
    of every initiative (full) or of the dirty ones and clear the marks that did not move meanwhile
    (kpis.scorecard_sql.store_scorecards)."""
    with transaction.atomic():
        if not _only_run():
            return RecomputeResult(0, skipped=True)
        return RecomputeResult(store_scorecards(timezone.now(), full=full))


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
