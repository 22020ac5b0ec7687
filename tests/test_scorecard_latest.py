"""Scorecard.is_latest marks each initiative's newest snapshot, the one the portfolio, the API filters and
the webhook events read for today: after every writer (full, dirty and chosen recomputes, past days,
save) exactly one card per initiative with cards carries it, and it is the one newest_first finds."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.db import connection, transaction
from django.utils import timezone

from initiatives.models import Initiative
from kpis.models import Scorecard
from kpis.recompute import end_of_day, recompute_as_of
from kpis.scorecard_sql import insert_scorecards, store_past_scorecards, store_scorecards

pytestmark = pytest.mark.django_db


def assert_marks_newest():
    """Every initiative with snapshots has one mark, on its newest; those without have none."""
    marked = dict(Scorecard.objects.filter(is_latest=True).values_list("initiative_id", "id"))
    newest = {
        initiative.pk: card.pk
        for initiative in Initiative.objects.all()
        if (card := initiative.scorecards.newest_first().first())
    }
    assert marked == newest
    return marked


@pytest.fixture
def three(make_initiative):
    return [make_initiative(title=f"Initiative {n}") for n in range(3)]


def test_each_writer_leaves_the_mark_on_the_newest_snapshot(three):
    now = timezone.now()
    with transaction.atomic():
        store_scorecards(now - timedelta(hours=2), full=True)
    first = assert_marks_newest()
    assert len(first) == 3

    # A chosen few: the mark moves for them only.
    insert_scorecards(now - timedelta(hours=1), [three[0].pk])
    second = assert_marks_newest()
    assert second[three[0].pk] != first[three[0].pk]
    assert {second[i.pk] for i in three[1:]} == {first[i.pk] for i in three[1:]}

    # The dirty ones (creating an initiative marks it dirty; the full run above left the marks alone on SQLite).
    Initiative.objects.update(scorecard_dirty_at=None)
    Initiative.objects.filter(pk=three[1].pk).update(scorecard_dirty_at=now)
    with transaction.atomic():
        assert store_scorecards(now, full=False) == 1
    third = assert_marks_newest()
    assert third[three[1].pk] != second[three[1].pk]
    assert third[three[2].pk] == first[three[2].pk]


def test_a_past_snapshot_takes_the_mark_only_where_nothing_newer_stands(three):
    now = timezone.now()
    insert_scorecards(now, [three[0].pk])
    Initiative.objects.update(created_at=now - timedelta(days=5))

    yesterday = end_of_day(timezone.localdate() - timedelta(days=1))
    with transaction.atomic():
        assert store_past_scorecards(yesterday) == 3
    marked = assert_marks_newest()
    assert Scorecard.objects.get(pk=marked[three[0].pk]).computed_at == now
    assert Scorecard.objects.get(pk=marked[three[1].pk]).computed_at == yesterday

    # Rerunning that day replaces its snapshots, marks included.
    recompute_as_of([timezone.localdate() - timedelta(days=1)])
    assert assert_marks_newest().keys() == {i.pk for i in three}


def test_save_marks_a_card_written_one_at_a_time(initiative):
    now = timezone.now()
    older = Scorecard.objects.create(initiative=initiative, computed_at=now - timedelta(days=1), health="green")
    assert older.is_latest
    newer = Scorecard.objects.create(initiative=initiative, computed_at=now, health="red")
    earlier = Scorecard.objects.create(initiative=initiative, computed_at=now - timedelta(days=2), health="amber")

    assert (newer.is_latest, earlier.is_latest) == (True, False)
    assert assert_marks_newest() == {initiative.pk: newer.pk}


def test_the_migration_marks_the_newest_snapshot_of_each_initiative(make_initiative):
    """kpis 0010 marks the cards written before the mark existed: the newest by (computed_at, id)."""
    mark_newest = import_module("kpis.migrations.0010_scorecard_is_latest").MARK_NEWEST
    first, second, _ = make_initiative(title="First"), make_initiative(title="Second"), make_initiative(title="None")
    now = timezone.now()
    for initiative, moment in ((first, now), (first, now - timedelta(days=1)), (first, now), (second, now)):
        Scorecard.objects.create(initiative=initiative, computed_at=moment, health="green")
    Scorecard.objects.update(is_latest=False)

    with connection.cursor() as cursor:
        cursor.execute(mark_newest)

    newest_of_first = Scorecard.objects.filter(initiative=first, computed_at=now).order_by("-pk").first()
    assert assert_marks_newest()[first.pk] == newest_of_first.pk
