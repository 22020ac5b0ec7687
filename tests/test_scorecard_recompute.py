"""The scheduled recompute: dirty marks set by ingest, one immutable snapshot per dirty initiative,
no lost mark, single-flight through a lock, and a query count that does not grow with the portfolio."""

import threading
import time
from contextlib import contextmanager, suppress
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import Error, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import kpis.recompute
import kpis.scorecard_sql
from initiatives.models import Initiative
from kpis import ingest
from kpis import services as kpi_services
from kpis.ingest import BatchRejected, record_measurements
from kpis.models import Kpi, Measurement, Scorecard
from kpis.recompute import LOCK, recompute_scorecards
from tests.db import second_session
from tests.lifecycle import request


def add_tree(initiative, user) -> Kpi:
    driver = kpi_services.add_driver(initiative.pk, acting_user=user, name="Faster handling")
    today = timezone.localdate()
    return kpi_services.add_kpi(
        initiative.pk,
        acting_user=user,
        driver=driver,
        key=f"{initiative.slug}.handle-time",
        name="Average handling time",
        unit="minutes",
        kind=Kpi.Kind.LAGGING,
        direction=Kpi.Direction.DECREASE,
        baseline_value=12.0,
        baseline_date=today - timedelta(days=30),
        target_value=9.0,
        target_date=today + timedelta(days=60),
    )


def push(user, kpi, value, at=None):
    at = at or timezone.now()
    return record_measurements([{"kpi": kpi.key, "timestamp": at.isoformat(), "value": value}], acting_user=user)


def dirty_at(initiative):
    return Initiative.objects.values_list("scorecard_dirty_at", flat=True).get(pk=initiative.pk)


def clean_all():
    """Start from a clean portfolio: creating and editing an initiative marks it dirty."""
    Initiative.objects.update(scorecard_dirty_at=None)


@contextmanager
def another_run_in_progress():
    """A second session holds the recompute's lock, as a run in progress on another worker does."""
    other = second_session()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [LOCK])
        yield other
    finally:
        # Released before the close: a closed connection's backend ends, and frees the lock, a moment
        # later, and the next run could still find it held. (A test may have ended the session already.)
        with suppress(Error), other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [LOCK])
        other.close()


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the lock is PostgreSQL's")


@pytest.fixture
def kpi(initiative, alice):
    tree = add_tree(initiative, alice)
    clean_all()
    return tree


@pytest.mark.django_db
class TestDirtyMarks:
    def test_ingest_marks_the_initiative_dirty(self, initiative, kpi, alice, make_initiative):
        other = make_initiative("Quote creation")
        clean_all()
        before = timezone.now()

        push(alice, kpi, 11.0)

        assert dirty_at(initiative) >= before - timedelta(seconds=1)
        assert dirty_at(other) is None  # only the initiatives whose KPIs got points

    def test_the_mark_is_written_in_the_ingest_transaction(self, initiative, kpi, alice, monkeypatch):
        seen_inside = {}

        def fail(*args, **kwargs):
            seen_inside["points"] = Measurement.objects.count()
            seen_inside["mark"] = dirty_at(initiative)
            raise RuntimeError("the database went away after the upsert")

        # IngestResult is built last, inside the atomic write: failing there rolls everything back.
        monkeypatch.setattr(ingest, "IngestResult", fail)

        with pytest.raises(RuntimeError):
            push(alice, kpi, 11.0)

        assert seen_inside["points"] == 1 and seen_inside["mark"] is not None
        assert not Measurement.objects.exists()
        assert dirty_at(initiative) is None  # rolled back with the points it announced

    def test_a_rejected_batch_marks_nothing(self, initiative, kpi, alice, charlie):
        with pytest.raises(BatchRejected):
            push(charlie, kpi, 11.0)

        assert dirty_at(initiative) is None


@pytest.mark.django_db
class TestRecompute:
    def test_one_snapshot_per_dirty_initiative_and_the_marks_cleared(self, initiative, kpi, alice, make_initiative):
        untouched = make_initiative("Quote creation")
        clean_all()
        push(alice, kpi, 10.5)

        result = recompute_scorecards()

        assert (result.recomputed, result.skipped) == (1, False)
        card = Scorecard.objects.get()
        assert card.initiative_id == initiative.pk
        assert card.kpi_rows()[0]["latest_value"] == 10.5
        assert card.health == "green"
        assert dirty_at(initiative) is None
        assert not Scorecard.objects.filter(initiative=untouched).exists()

    def test_a_snapshot_is_never_rewritten(self, initiative, kpi, alice):
        push(alice, kpi, 11.5)
        recompute_scorecards()
        first = Scorecard.objects.get()
        frozen = (first.computed_at, first.kpis, first.health)

        push(alice, kpi, 10.0, timezone.now() + timedelta(seconds=1))
        recompute_scorecards()

        assert Scorecard.objects.count() == 2
        first.refresh_from_db()
        assert (first.computed_at, first.kpis, first.health) == frozen
        newest = Scorecard.objects.latest_per_initiative().get(initiative=initiative)
        assert newest.pk != first.pk and newest.kpi_rows()[0]["latest_value"] == 10.0

    def test_a_full_recompute_covers_every_initiative(self, initiative, kpi, make_initiative):
        others = [make_initiative(f"Initiative {n}") for n in range(3)]
        clean_all()

        result = recompute_scorecards(full=True)

        assert result.recomputed == 4
        assert set(Scorecard.objects.values_list("initiative_id", flat=True)) == {initiative.pk} | {
            o.pk for o in others
        }

    def test_a_second_run_with_nothing_dirty_creates_nothing(self, initiative, kpi, alice):
        push(alice, kpi, 11.0)
        assert recompute_scorecards().recomputed == 1

        assert recompute_scorecards().recomputed == 0
        assert Scorecard.objects.count() == 1

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL clears marks inside the statement")
    def test_sqlite_keeps_a_mark_that_moved_after_it_was_read(
        self, initiative, kpi, alice, make_initiative, monkeypatch
    ):
        other = make_initiative("Quote creation")
        other_kpi = add_tree(other, alice)
        push(alice, kpi, 11.0)
        push(alice, other_kpi, 11.0)
        insert = kpis.scorecard_sql.insert_scorecards
        bumped = timezone.now() + timedelta(seconds=5)

        def insert_while_data_arrives(now, ids):
            written = insert(now, ids)
            Initiative.objects.filter(pk=other.pk).update(scorecard_dirty_at=bumped)
            return written

        monkeypatch.setattr(kpis.scorecard_sql, "insert_scorecards", insert_while_data_arrives)
        assert recompute_scorecards().recomputed == 2

        assert (dirty_at(initiative), dirty_at(other)) == (None, bumped)
        monkeypatch.undo()
        assert recompute_scorecards().recomputed == 1  # the moved mark brings the next run
        assert dirty_at(other) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a second writer while the statement runs")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mark_committed_while_the_statement_runs_is_kept(initiative, kpi, alice, make_initiative):
    """A concurrent ingest re-marks one initiative and commits while the recompute's statement waits on
    its row: the statement rechecks the newest row, keeps that mark and clears the other."""
    other = make_initiative("Quote creation")
    other_kpi = add_tree(other, alice)
    push(alice, kpi, 11.0)
    push(alice, other_kpi, 11.0)
    bumped = timezone.now() + timedelta(seconds=5)
    ingest = second_session()
    ingest.set_autocommit(False)
    with ingest.cursor() as cursor:  # holds the row lock until it commits
        cursor.execute("UPDATE initiatives_initiative SET scorecard_dirty_at = %s WHERE id = %s", [bumped, other.pk])
    outcome = []

    def recompute():
        try:
            outcome.append(recompute_scorecards())
        except Exception as exc:  # noqa: BLE001  (the test inspects it)
            outcome.append(exc)
        finally:
            connection.close()

    run = threading.Thread(target=recompute)
    run.start()
    try:
        ingest_pid = ingest.connection.get_backend_pid()
        for _ in range(200):  # until the recompute waits on the row the ingest holds
            with connection.cursor() as cursor:  # not the ingest's: its view of sessions is frozen in its transaction
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [ingest_pid]
                )
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.05)
        else:
            pytest.fail(f"the recompute never waited on the ingest's row: {outcome}")
    finally:
        ingest.commit()
        ingest.close()
        run.join(timeout=30)

    assert [r.recomputed for r in outcome] == [2]
    assert (dirty_at(initiative), dirty_at(other)) == (None, bumped)


@pytest.mark.django_db
class TestSingleFlight:
    @on_postgresql
    def test_skipped_while_another_run_holds_the_lock(self, initiative, kpi, alice):
        push(alice, kpi, 11.0)

        with another_run_in_progress():
            result = recompute_scorecards()

        assert (result.recomputed, result.skipped) == (0, True)
        assert not Scorecard.objects.exists()
        assert dirty_at(initiative) is not None
        assert recompute_scorecards().recomputed == 1  # the lock went with the other run

    @on_postgresql
    def test_the_lock_of_a_run_whose_session_died_is_free_at_once(self, initiative, kpi, alice):
        push(alice, kpi, 11.0)
        with another_run_in_progress() as killed, connection.cursor() as cursor:
            pid = killed.connection.get_backend_pid()
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):  # until PostgreSQL has ended the session
                cursor.execute(
                    "SELECT pg_stat_clear_snapshot(); SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]
                )
                if not cursor.fetchone()[0]:
                    break
                time.sleep(0.05)

            result = recompute_scorecards()

        assert (result.recomputed, result.skipped) == (1, False)
        assert Scorecard.objects.filter(initiative=initiative).count() == 1

    def test_a_failed_run_keeps_the_marks_for_the_next(self, initiative, kpi, alice, monkeypatch):
        push(alice, kpi, 11.0)

        def broken(now, *, full):
            raise RuntimeError("boom")

        monkeypatch.setattr(kpis.recompute, "store_scorecards", broken)
        with pytest.raises(RuntimeError):
            recompute_scorecards()
        monkeypatch.undo()

        assert dirty_at(initiative) is not None  # nothing was lost
        assert recompute_scorecards().recomputed == 1
        assert dirty_at(initiative) is None

    def test_the_task_runs_the_same_recompute(self, initiative, kpi, alice):
        from kpis.tasks import recompute_scorecards_task

        push(alice, kpi, 11.0)

        assert recompute_scorecards_task.delay().get() == 1
        assert recompute_scorecards_task.delay(full=True).get() == 1
        assert Scorecard.objects.count() == 2


@pytest.mark.django_db
class TestCommand:
    def test_recompute_scorecards_prints_the_count(self, initiative, kpi, alice, make_initiative):
        make_initiative("Quote creation")
        clean_all()
        push(alice, kpi, 11.0)
        out = StringIO()

        call_command("recompute_scorecards", stdout=out)

        assert "Recomputed 1 scorecard(s)." in out.getvalue()
        assert dirty_at(initiative) is None

    def test_all_recomputes_every_initiative(self, initiative, kpi, make_initiative):
        make_initiative("Quote creation")
        clean_all()
        out = StringIO()

        call_command("recompute_scorecards", "--all", stdout=out)

        assert "Recomputed 2 scorecard(s)." in out.getvalue()
        assert Scorecard.objects.count() == 2

    @on_postgresql
    def test_it_says_when_another_run_is_in_progress(self, initiative):
        out = StringIO()

        with another_run_in_progress():
            call_command("recompute_scorecards", stdout=out)

        assert "Another recompute is running" in out.getvalue()
        assert not Scorecard.objects.exists()


def build_portfolio(n: int, alice, lee, make_initiative, start: int = 0) -> list[Initiative]:
    """Initiatives with everything a scorecard reads: KPIs with points, roles and an open review."""
    built = []
    for i in range(start, start + n):
        initiative = make_initiative(f"Portfolio initiative {i}")
        kpi = add_tree(initiative, alice)
        push(alice, kpi, 11.0)
        request(initiative, lee)
        built.append(initiative)
    return built


def queries_for_recompute() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        result = recompute_scorecards()
    return result.recomputed, len(captured.captured_queries)


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_dirty_initiatives(alice, lee, make_initiative):
    recompute_scorecards()  # prepares the statement, which only a connection's first run does
    build_portfolio(3, alice, lee, make_initiative)
    three = queries_for_recompute()

    build_portfolio(15, alice, lee, make_initiative, start=3)
    fifteen = queries_for_recompute()

    assert three[0] == 3 and fifteen[0] == 15
    assert three[1] == fifteen[1], (three, fifteen)
    assert Scorecard.objects.count() == 18


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no concurrent writers to race")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_recomputes_at_once_do_the_work_once(alice, lee, make_initiative, monkeypatch):
    initiatives = build_portfolio(4, alice, lee, make_initiative)
    store = kpis.recompute.store_scorecards
    barrier = threading.Barrier(2)
    finished = threading.Event()
    outcomes = []

    def store_slowly(now, *, full):
        # Whoever holds the lock keeps it until the other run has returned.
        finished.wait(timeout=15)
        return store(now, full=full)

    monkeypatch.setattr(kpis.recompute, "store_scorecards", store_slowly)

    def run():
        try:
            barrier.wait(timeout=10)
            outcomes.append(recompute_scorecards())
        except Exception as exc:  # noqa: BLE001  (the test inspects it)
            outcomes.append(exc)
        finally:
            finished.set()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert sorted((r.recomputed, r.skipped) for r in outcomes) == [(0, True), (4, False)], outcomes
    assert sorted(Scorecard.objects.values_list("initiative_id", flat=True)) == sorted(i.pk for i in initiatives)
    assert not Initiative.objects.filter(scorecard_dirty_at__isnull=False).exists()


def prepares(run) -> int:
    """How many statements `run` prepared."""
    with CaptureQueriesContext(connection) as captured:
        run()
    return sum(q["sql"].startswith("PREPARE") for q in captured.captured_queries)


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_statement_is_planned_once_per_connection(initiative, kpi, alice):
    connection.close()
    push(alice, kpi, 11.0)
    assert prepares(recompute_scorecards) == 1
    push(alice, kpi, 10.5)
    assert prepares(recompute_scorecards) == 0  # the plan is reused

    connection.close()  # as after a restart of the database or the worker
    push(alice, kpi, 10.0)
    assert prepares(recompute_scorecards) == 1

    assert Scorecard.objects.filter(initiative=initiative).count() == 3
    assert dirty_at(initiative) is None
