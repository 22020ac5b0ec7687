"""The scheduled scorecard recompute: single-flight, safe to rerun, and it loses no dirty mark."""

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from initiatives.models import Initiative
from kpis.leases import release_lease, renew_lease, take_lease
from kpis.scorecard_sql import insert_scorecards

LEASE = "recompute-scorecards"
# Initiatives per statement (and per transaction): the lease is renewed between chunks.
CHUNK = 5000


@dataclass(frozen=True)
class RecomputeResult:
    recomputed: int
    skipped: bool = False


def _lease_ttl() -> timedelta:
    # Outlives the task's hard time limit, so a killed worker's lease expires and the next run redoes its work.
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def recompute_scorecards(*, full: bool = False) -> RecomputeResult:
    """1. take the lease, or return when another run holds it; 2. note each dirty initiative's mark;
    3. per chunk, compute and store snapshots in one statement, then clear the marks that did not move
       meanwhile;
    4. release the lease.
    """
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not take_lease(LEASE, holder, _lease_ttl()):
        return RecomputeResult(0, skipped=True)
    try:
        chosen = Initiative.objects.all() if full else Initiative.objects.filter(scorecard_dirty_at__isnull=False)
        marks = list(chosen.order_by("pk").values_list("pk", "scorecard_dirty_at"))
        for start in range(0, len(marks), CHUNK):
            _recompute_chunk(marks[start : start + CHUNK], every=full and len(marks) <= CHUNK)
            renew_lease(LEASE, holder, _lease_ttl())
        return RecomputeResult(len(marks))
    finally:
        release_lease(LEASE, holder)


@transaction.atomic
def _recompute_chunk(marks: list[tuple[int, object]], *, every: bool = False) -> None:
    """`every`: the chunk is every initiative, so the statement needs no list of ids."""
    insert_scorecards(timezone.now(), None if every else [pk for pk, _ in marks])
    # A mark that changed since it was read means new data arrived meanwhile: keep it for the next run.
    unchanged = [Q(pk=pk, scorecard_dirty_at=mark) for pk, mark in marks if mark is not None]
    if unchanged:
        Initiative.objects.filter(reduce(or_, unchanged)).update(scorecard_dirty_at=None)
