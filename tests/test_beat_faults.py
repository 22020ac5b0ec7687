"""The scheduled scorecard recompute under faults: two beats at once, and a worker killed mid-run.

A test holds a row lock that the recompute's statement needs to clear the dirty marks, so a run
stops at a known point: its snapshots being written, its transaction open, its lock held. The
processes share pytest-django's test database, so this needs PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL); it uses Redis database 11 and flushes it first.
"""

import re
import time
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.utils import timezone

from initiatives.models import Initiative
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from kpis.models import Kpi, Scorecard
from tests.celery_processes import celery_worker_and_beat, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REDIS_DB = 11
ENV = {"SCORECARD_RECOMPUTE_SECONDS": "2"}
OUTCOME = re.compile(r"(Recomputed (\d+) scorecard|Scorecard recompute skipped)")


def build_initiatives(make_initiative, user, count=3) -> list[int]:
    """`count` initiatives with two KPIs each and a fresh point, so each is dirty."""
    ids = []
    for n in range(count):
        initiative = make_initiative(f"Fault drill {n}")
        driver = kpi_services.add_driver(initiative.pk, acting_user=user, name="Speed")
        for suffix, direction in (("handle-time", Kpi.Direction.DECREASE), ("csat", Kpi.Direction.INCREASE)):
            kpi_services.add_kpi(
                initiative.pk,
                acting_user=user,
                driver=driver,
                key=f"{initiative.slug}.{suffix}",
                name=suffix,
                unit="score",
                kind=Kpi.Kind.GUARDRAIL,
                direction=direction,
                guardrail_bound=5.0,
            )
        now = timezone.now().isoformat()
        record_measurements([{"kpi": f"{initiative.slug}.csat", "timestamp": now, "value": 4.5}], acting_user=user)
        ids.append(initiative.pk)
    return ids


def mark_dirty(ids):
    Initiative.objects.filter(pk__in=ids).update(scorecard_dirty_at=timezone.now())


def outcomes(log) -> list[int | None]:
    """Each finished run in the worker log: how many scorecards it stored, or None when it was skipped."""
    return [int(n) if n else None for _, n in OUTCOME.findall(log.read_text())]


def snapshot_counts(ids) -> dict[int, int]:
    return {pk: Scorecard.objects.filter(initiative_id=pk).count() for pk in ids}


def assert_every_snapshot_is_complete():
    keys = {}
    for pk, key in Kpi.objects.values_list("initiative_id", "key"):
        keys.setdefault(pk, set()).add(key)
    for card in Scorecard.objects.all():
        assert {k["key"] for k in card.kpi_rows()} == keys.get(card.initiative_id, set()), card.kpis


def blocked_recomputes() -> int:
    """How many sessions wait on a row lock this test's session holds."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL would otherwise keep showing its first view of the activity.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")
        return cursor.fetchone()[0]


@contextmanager
def recompute_stopped_midway(ids, processes):
    """Mark `ids` dirty and lock their rows until a run is stuck clearing the marks, its snapshots
    not committed. A run may clear the marks between the two steps; then try again.
    """
    for _ in range(3):
        mark_dirty(ids)
        with transaction.atomic():
            list(Initiative.objects.select_for_update(no_key=True).filter(pk__in=ids))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not blocked_recomputes():
                time.sleep(0.2)
            if blocked_recomputes():
                yield
                return
    pytest.fail(f"No recompute reached the locked rows.\n{processes.logs()}")


def test_two_beats_never_run_two_recomputes_at_once(transactional_db, tmp_path, make_initiative, alice):
    ids = build_initiatives(make_initiative, alice)
    env = {**ENV, "WORKER_CONCURRENCY": "2"}  # room for a second run while the first is stuck
    with celery_worker_and_beat(tmp_path, redis_db=REDIS_DB, env=env, beats=2) as processes:
        wait_for(lambda: all(snapshot_counts(ids).values()), 40, "the first snapshots", processes)
        for _ in range(8):  # re-marked while both beats fire
            mark_dirty(ids)
            time.sleep(0.5)

        with recompute_stopped_midway(ids, processes):
            committed = sum(snapshot_counts(ids).values())
            skipped = outcomes(processes.worker_log).count(None)
            wait_for(
                lambda: outcomes(processes.worker_log).count(None) > skipped,
                20,
                "a run that finds the lock taken",
                processes,
            )
        wait_for(
            lambda: not Initiative.objects.filter(pk__in=ids, scorecard_dirty_at__isnull=False).exists(),
            20,
            "the stuck run to finish",
            processes,
        )
        # The runs turned away meanwhile stored nothing: one snapshot each, from the stuck run.
        assert sum(snapshot_counts(ids).values()) - committed == len(ids), processes.logs()

        for _ in range(8):
            mark_dirty(ids)
            time.sleep(0.5)
        wait_for(
            lambda: not Initiative.objects.filter(pk__in=ids, scorecard_dirty_at__isnull=False).exists(),
            20,
            "the last marks to be cleared",
            processes,
        )
        runs = [n for n in outcomes(processes.worker_log) if n]

    cards = list(Scorecard.objects.filter(initiative_id__in=ids).values_list("initiative_id", "computed_at"))
    assert len(cards) == len(set(cards))  # no initiative twice in one run's snapshots
    assert len({computed_at for _, computed_at in cards}) <= len(runs), processes.logs()
    assert max(snapshot_counts(ids).values()) <= len(runs), processes.logs()
    assert_every_snapshot_is_complete()


def test_a_killed_worker_leaves_no_half_snapshot_and_its_work_is_redone(
    transactional_db, tmp_path, make_initiative, alice
):
    ids = build_initiatives(make_initiative, alice)
    with celery_worker_and_beat(tmp_path, redis_db=REDIS_DB, env=ENV) as processes:
        worker = processes.started[0][0]
        wait_for(lambda: all(snapshot_counts(ids).values()), 40, "the first snapshots", processes)

        with recompute_stopped_midway(ids, processes):
            before = snapshot_counts(ids)
            processes.kill(worker)
        # The killed run's transaction was never committed: no snapshot, and the marks stay. Its
        # statement ends once the row locks are gone; PostgreSQL then finds the session dead, rolls
        # the transaction back and frees the lock, with nothing to expire.
        assert snapshot_counts(ids) == before
        assert Initiative.objects.filter(pk__in=ids, scorecard_dirty_at__isnull=False).count() == len(ids)

        processes.start("worker", "worker-2")
        wait_for(
            lambda: not Initiative.objects.filter(pk__in=ids, scorecard_dirty_at__isnull=False).exists(),
            30,
            "the new worker to redo the recompute",
            processes,
        )

    assert snapshot_counts(ids) == {pk: n + 1 for pk, n in before.items()}
    assert_every_snapshot_is_complete()
