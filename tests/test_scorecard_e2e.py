"""A real Celery beat and worker, started through `python -m opmodel`, keep scorecards current.

Measurements pushed with record_measurements mark the initiative dirty; the scheduled
recompute (every 2 s here) stores a snapshot and clears the mark. The processes share
pytest-django's test database, so this needs PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL); it uses Redis database 14 and flushes it first.
"""

import pytest
from django.utils import timezone

from initiatives.models import Initiative
from kpis.ingest import record_measurements
from kpis.models import Scorecard
from tests.celery_processes import celery_worker_and_beat, wait_for
from tests.lifecycle import support_tree

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RECOMPUTE_EVERY_SECONDS = 2
HANDLE_TIME, CSAT = "support-triage-assistant.handle-time", "support-triage-assistant.csat"


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    with celery_worker_and_beat(
        tmp_path, redis_db=14, env={"SCORECARD_RECOMPUTE_SECONDS": str(RECOMPUTE_EVERY_SECONDS)}
    ) as processes:
        yield processes


def build_tree(initiative, user):
    support_tree(initiative, user, prefix="support-triage-assistant", baseline_days_ago=30, leading=False)


def push(user, points: dict[str, float]):
    """Record the points now; return a time after their commit."""
    now = timezone.now().isoformat()
    record_measurements([{"kpi": key, "timestamp": now, "value": v} for key, v in points.items()], acting_user=user)
    return timezone.now()


def first_snapshot_after(initiative, moment):
    """The first snapshot computed after `moment`: computed after the data committed, so it must show it."""
    return Scorecard.objects.filter(initiative=initiative, computed_at__gt=moment).order_by("computed_at", "id").first()


def test_beat_and_worker_keep_the_scorecard_current(celery_processes, make_initiative, alice):
    initiative = make_initiative()
    build_tree(initiative, alice)

    pushed_at = push(alice, {HANDLE_TIME: 10.5, CSAT: 4.5})

    card = wait_for(
        lambda: first_snapshot_after(initiative, pushed_at), 60, "a scorecard after the first push", celery_processes
    )
    assert (card.health, card.confidence) == ("green", "fresh"), card.kpis
    assert {k["key"]: k["latest_value"] for k in card.kpi_rows()} == {HANDLE_TIME: 10.5, CSAT: 4.5}

    breached_at = push(alice, {CSAT: 3.9})

    card = wait_for(
        lambda: first_snapshot_after(initiative, breached_at), 60, "the next scheduled scorecard", celery_processes
    )
    assert card.health == "red", card.kpis
    assert {k["key"]: k["status"] for k in card.kpi_rows()} == {HANDLE_TIME: "green", CSAT: "red"}
    wait_for(
        lambda: Initiative.objects.filter(pk=initiative.pk, scorecard_dirty_at__isnull=True).exists(),
        30,
        "the dirty mark to be cleared",
        celery_processes,
    )
    assert "recompute_scorecards_task" in celery_processes.worker_log.read_text()
