import logging
import textwrap
from datetime import timedelta
from itertools import groupby

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from governance.audit import verify_chain, write_checkpoint
from governance.models import GateReview, Notification, canonical_json
from governance.notifications import email_approvers
from initiatives.models import Initiative, Role, RoleAssignment
from initiatives.people import person_name

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
    """Verify the chain against the key and the checkpoints; if intact, write a new checkpoint. The result,
    with the checkpoint, goes to the log and to AUDIT_EMAILS, so a copy of each head lives outside this server."""
    report = verify_chain()
    if report.ok:
        checkpoint = write_checkpoint(report) if report.checked else None
        log.info("Audit chain intact: %d events checked.", report.checked)
        subject = f"Audit chain intact: {report.checked} events"
        body = f"The audit chain verified: {report.checked} events, {report.checkpoints} earlier checkpoint(s).\n"
        if checkpoint:
            body += "\nNew checkpoint (keep this copy; verify_audit checks the chain against the file):\n"
            body += canonical_json(checkpoint) + "\n"
    else:
        where = f"at event #{report.broken_at}: " if report.broken_at is not None else ""
        log.error("Audit chain broken %s%s", where, report.problem)
        subject = "Audit chain BROKEN"
        body = f"The audit chain failed verification {where}{report.problem}.\n"
    if settings.AUDIT_EMAILS:
        send_mail(f"[OpModel] {subject}", body, settings.DEFAULT_FROM_EMAIL, settings.AUDIT_EMAILS)
    return report.ok


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_notifications_task() -> int:
    """Email each user their in-app notifications not emailed yet, in one message, never twice."""
    pending = (
        Notification.objects.filter(emailed_at__isnull=True, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id", "created_at", "pk")
    )
    messages = []
    for user, notes in groupby(pending, key=lambda note: note.user):
        # Claim each one first, so a second beat or a retry never mails it again.
        claimed = [
            note
            for note in notes
            if Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
        ]
        if claimed:
            messages.append(_notification_email(user, claimed))
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def _notification_email(user, notes: list[Notification]) -> tuple[str, str, str, list[str]]:
    subject = notes[0].message if len(notes) == 1 else f"{len(notes)} updates in OpModel"
    body = f"Hello {person_name(user)},\n\n" + "\n".join(_notification_lines(note) for note in notes) + "\n"
    subject = " ".join(subject.split())[:200]  # a changelog may span lines; a header may not
    return subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]


def _notification_lines(note: Notification) -> str:
    lines = [f"- {note.message}"]
    if note.detail:
        lines.append(textwrap.indent(note.detail, "  "))
    if note.url:
        lines.append(f"  {settings.SITE_URL}{note.url}")  # absolute: SITE_URL is where this instance is served
    return "\n".join(lines)


REUSE_REVIEW_NOTICE_DAYS = 7


@shared_task
def remind_reuse_reviews_task() -> int:
    """Tell service owners and enablement of reuse reviews in the next week, once per review date."""
    today = timezone.localdate()
    upcoming = (
        Initiative.objects.filter(
            reuse_review_on__gte=today, reuse_review_on__lte=today + timedelta(days=REUSE_REVIEW_NOTICE_DAYS)
        )
        .exclude(status=Initiative.Status.KILLED)
        .exclude(reuse_review_reminded_for=F("reuse_review_on"))
    )
    reminded = 0
    for initiative in upcoming:
        with transaction.atomic():
            # Claim the date first, so a second beat or a retry never reminds twice.
            claimed = (
                Initiative.objects.filter(pk=initiative.pk, reuse_review_on=initiative.reuse_review_on)
                .exclude(reuse_review_reminded_for=F("reuse_review_on"))
                .update(reuse_review_reminded_for=initiative.reuse_review_on)
            )
            if claimed == 1:
                reminded += _notify_reuse_review(initiative)
    return reminded


def _notify_reuse_review(initiative: Initiative) -> int:
    holders = RoleAssignment.objects.filter(
        initiative=initiative, role__in=[Role.SERVICE_OWNER, Role.ENABLEMENT], user__is_active=True
    )
    message = f"Reuse review of {initiative.title} on {initiative.reuse_review_on:%d %b %Y}: check its library assets."
    notes = Notification.objects.bulk_create(
        Notification(user_id=user_id, message=message[:300], url=initiative.get_absolute_url())
        for user_id in sorted(set(holders.values_list("user_id", flat=True)))
    )
    return len(notes)
