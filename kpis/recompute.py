"""The scheduled scorecard recompute: single-flight, safe to rerun, and it loses no dirty mark."""

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from initiatives.models import Initiative
from kpis.leases import release_lease, take_lease
from kpis.scorecard_sql import clear_marks, insert_scorecards

LEASE = "recompute-scorecards"


@dataclass(frozen=True)
class RecomputeResult:
    recomputed: int
    skipped: bool = False


def _lease_ttl() -> timedelta:
    # Outlives the task's hard time limit, so a killed worker's lease expires and the next run redoes its work.
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def recompute_scorecards(*, full: bool = False) -> RecomputeResult:
    """1. take the lease, or return when another run holds it; 2. note each dirty initiative's mark;
    3. in one transaction, store a snapshot of every initiative (full) or of the dirty ones, with one
       statement, and clear the marks that did not move meanwhile; 4. release the lease.
    """
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not take_lease(LEASE, holder, _lease_ttl()):
        return RecomputeResult(0, skipped=True)
    try:
        dirty = Initiative.objects.filter(scorecard_dirty_at__isnull=False)
        marks = list(dirty.order_by("pk").values_list("pk", "scorecard_dirty_at"))
        if not marks and not full:
            return RecomputeResult(0)
        with transaction.atomic():
            written = insert_scorecards(timezone.now(), None if full else [pk for pk, _ in marks])
            clear_marks(marks)
        return RecomputeResult(written)
    finally:
        release_lease(LEASE, holder)
