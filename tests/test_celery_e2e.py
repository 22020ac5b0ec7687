"""A real Celery worker and beat, started through `python -m opmodel`, remind approvers of an overdue review once.

They share pytest-django's test database, so this needs PostgreSQL (DATABASE_URL)
and Redis (REDIS_URL); it uses Redis database 15 and flushes it first.
"""

import re
from datetime import timedelta

import pytest

from governance.models import GateReview
from governance.services import request_review
from tests.celery_processes import celery_worker_and_beat, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BEAT_EVERY_SECONDS = 2
TASK_RUN = re.compile(r"remind_overdue_reviews_task\[([0-9a-f-]+)\] succeeded in [0-9.]+s: (\d+)")


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    with celery_worker_and_beat(
        tmp_path, redis_db=15, env={"REVIEW_REMINDER_EVERY_SECONDS": str(BEAT_EVERY_SECONDS)}
    ) as processes:
        yield processes


def reminder_runs(processes) -> dict[str, int]:
    """Each run of the reminder task the worker finished, by task id, with the number of emails it sent."""
    return {task_id: int(sent) for task_id, sent in TASK_RUN.findall(processes.worker_log.read_text())}


def test_beat_and_worker_remind_an_overdue_review_once(celery_processes, make_initiative, alice):
    initiative = make_initiative()
    review = request_review(initiative.pk, acting_user=alice, override_reason="e2e")
    GateReview.objects.filter(pk=review.pk).update(requested_at=review.requested_at - timedelta(days=10))

    def reminded_at():
        return GateReview.objects.values_list("reminded_at", flat=True).get(pk=review.pk)

    first_reminder = wait_for(reminded_at, 60, "the worker to set reminded_at", celery_processes)
    runs_so_far = set(reminder_runs(celery_processes))
    # A few more beats: each run must leave the reminder alone.
    wait_for(
        lambda: len(set(reminder_runs(celery_processes)) - runs_so_far) >= 2,
        30,
        "two more runs of the reminder task",
        celery_processes,
    )

    assert reminded_at() == first_reminder
    runs_that_mailed = [sent for sent in reminder_runs(celery_processes).values() if sent]
    assert len(runs_that_mailed) == 1, celery_processes.logs()  # Sam, the sponsor, got one reminder
