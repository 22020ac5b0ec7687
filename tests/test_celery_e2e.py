"""A real Celery worker and beat, started through `python -m opmodel`, remind approvers of an overdue review once,
deliver a webhook whose on-commit task never reached the broker, and deliver, once, what waited in the outbox
while the worker was killed.

They share pytest-django's test database, so this needs PostgreSQL (DATABASE_URL)
and Redis (REDIS_URL); it uses Redis database 15 and flushes it first.
"""

import re
from datetime import timedelta

import pytest

from governance.models import GateReview, WebhookDelivery, WebhookEndpoint
from governance.services import request_review
from governance.webhooks import outbox
from initiatives import services
from tests.celery_processes import celery_worker_and_beat, wait_for
from tests.webhook_receiver import start_receiver

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BEAT_EVERY_SECONDS = 2
TASK_RUN = re.compile(r"remind_overdue_reviews_task\[([0-9a-f-]+)\] succeeded in [0-9.]+s: (\d+)")


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    with celery_worker_and_beat(
        tmp_path,
        redis_db=15,
        env={
            "REVIEW_REMINDER_EVERY_SECONDS": str(BEAT_EVERY_SECONDS),
            "WEBHOOK_SWEEP_SECONDS": str(BEAT_EVERY_SECONDS),
            "WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver is this test, on 127.0.0.1
        },
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


def test_the_beat_sweep_delivers_a_webhook_whose_commit_never_reached_the_broker(celery_processes, alice, monkeypatch):
    receiver, server = start_receiver()
    try:
        endpoint = WebhookEndpoint.objects.create(name="BI", url=receiver.url, event_types=["initiative.created"])
        receiver.secret = endpoint.secret
        monkeypatch.setattr(outbox, "kick", lambda: None)  # as if the broker was down when the change committed

        services.create_initiative(acting_user=alice, title="Invoice matching", business_unit="Finance")

        delivered = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED)
        wait_for(delivered.exists, 60, "the worker to deliver the webhook", celery_processes)
        [got] = receiver.received
        assert got.verified, celery_processes.logs()
        assert got.json["data"]["initiative"]["title"] == "Invoice matching"
        assert got.headers["webhook-id"] == delivered.get().message_id
    finally:
        server.shutdown()
        server.server_close()


def test_the_outbox_outlives_a_killed_worker_and_is_delivered_once_when_one_is_back(celery_processes, alice):
    receiver, server = start_receiver()
    try:
        endpoint = WebhookEndpoint.objects.create(name="BI", url=receiver.url, event_types=["initiative.created"])
        receiver.secret = endpoint.secret
        worker = next(process for process, log in celery_processes.started if log.name == "worker.log")
        celery_processes.kill(worker)  # SIGKILL, pool and all, as a lost machine

        services.create_initiative(acting_user=alice, title="Invoice matching", business_unit="Finance")
        pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
        assert pending.count() == 1  # written with the change, whatever became of the worker
        # Beat keeps queueing sweeps meanwhile; a new worker takes them all, and the kick, at once.
        wait_for(
            lambda: celery_processes.beat_log.read_text().count("send-due-webhooks") >= 2,
            30,
            "two sweeps queued while no worker runs",
            celery_processes,
        )
        celery_processes.start("worker", "worker-2")

        delivered = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED)
        wait_for(delivered.exists, 60, "the new worker to deliver the webhook", celery_processes)
        [got] = receiver.received  # once, though several runs were queued for it
        assert got.verified and got.headers["webhook-id"] == delivered.get().message_id
    finally:
        server.shutdown()
        server.server_close()
