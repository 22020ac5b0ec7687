import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from governance.audit import verify_chain
from governance.models import GateReview
from governance.notifications import email_approvers

log = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_new_reviews_task() -> int:
    """Email the approvers of each review requested since the last run, once per review."""
    sent = 0
    pending = GateReview.objects.filter(status=GateReview.Status.OPEN, notified_at__isnull=True)
    for review in pending.select_related("initiative", "policy", "requested_by"):
        # Claim first, so a second beat or a retry never mails twice.
        if GateReview.objects.filter(pk=review.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
            sent += email_approvers(review, subject_prefix="Decision needed")
    return sent


@shared_task
def remind_overdue_reviews_task() -> int:
    """Remind approvers of reviews open past their policy's review_due_days, at most once a day per review."""
    now = timezone.now()
    open_reviews = GateReview.objects.filter(status=GateReview.Status.OPEN).exclude(
        reminded_at__gt=now - timedelta(days=1)
    )
    sent = 0
    for review in open_reviews.select_related("initiative", "policy", "requested_by"):
        if not review.is_overdue:
            continue
        # Claim the reminder first, so a second beat or a retry never mails twice.
        claimed = GateReview.objects.filter(pk=review.pk, reminded_at=review.reminded_at).update(reminded_at=now)
        if claimed == 1:
            sent += email_approvers(review, subject_prefix="Overdue decision")
    return sent


@shared_task
def verify_audit_chain_task() -> bool:
    report = verify_chain()
    if report.ok:
        log.info("Audit chain intact: %d events checked.", report.checked)
    else:
        log.error("Audit chain broken at event #%s: %s", report.broken_at, report.problem)
    return report.ok
