"""The scheduled scorecard recompute: single-flight, safe to rerun, and it loses no dirty mark."""

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kpis.leases import release_lease, take_lease
from kpis.scorecard_sql import store_scorecards

LEASE = "recompute-scorecards"


@dataclass(frozen=True)
class RecomputeResult:
    recomputed: int
    skipped: bool = False


def _lease_ttl() -> timedelta:
    # Outlives the task's hard time limit, so a killed worker's lease expires and the next run redoes its work.
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def recompute_scorecards(*, full: bool = False) -> RecomputeResult:
    """Take the lease, or return when another run holds it; in one transaction, store a snapshot of
    every initiative (full) or of the dirty ones and clear the marks that did not move meanwhile
    (kpis.scorecard_sql.store_scorecards); release the lease."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not take_lease(LEASE, holder, _lease_ttl()):
        return RecomputeResult(0, skipped=True)
    try:
        with transaction.atomic():
            return RecomputeResult(store_scorecards(timezone.now(), full=full))
    finally:
        release_lease(LEASE, holder)
