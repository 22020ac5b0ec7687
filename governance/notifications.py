"""Who hears about a gate review and its decisions, and the emails they get."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.urls import reverse

from governance.models import GateDecision, GateReview, Notification
from governance.permissions import LEADERSHIP_ROLES
from initiatives.models import Role, leaders
from initiatives.people import person_name


def approvers_of(review):
    """Everyone who may still decide: holders of required roles, plus leaders for sponsor/CTO slots."""
    roles = {role for slot in review.policy.approver_slots for role in slot}
    who = Q(role_assignments__initiative=review.initiative_id, role_assignments__role__in=roles)
    if roles & LEADERSHIP_ROLES:
        who |= Q(pk__in=leaders().values("pk"))
    return get_user_model().objects.filter(who, is_active=True).exclude(pk=review.requested_by_id).distinct()


def email_approvers(review, *, subject_prefix: str) -> int:
    url = settings.SITE_URL + reverse("governance:approval_detail", args=[review.pk])
    subject = f"{subject_prefix}: {review.get_gate_display()} for {review.initiative.title}"
    body = (
        f"{person_name(review.requested_by)} asked for the {review.get_gate_display()} gate of "
        f"“{review.initiative.title}” ({review.get_from_stage_display()} → {review.get_to_stage_display()}).\n\n"
        f"Open the decision pack: {url}\n"
    )
    messages = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]) for user in approvers_of(review) if user.email
    ]
    # The console and file backends return None, not 0, when given no message.
    return send_mass_mail(messages, fail_silently=False) if messages else 0


# The people a decision is about: who asked for the review, and who answer for the initiative.
TOLD_OF_DECISIONS = (Role.PRODUCT_MANAGER, Role.EXECUTIVE_SPONSOR)


def notify_decision(decision: GateDecision) -> list[Notification]:
    """Tell the review's requester, the initiative's PM and its sponsor of a decision, once each.

    The decider knows already. Runs inside the deciding transaction, so a decision and its
    notifications are written together; email_notifications_task mails them.
    """
    review = decision.review
    who = Q(pk=review.requested_by_id) | Q(
        role_assignments__initiative=review.initiative_id, role_assignments__role__in=TOLD_OF_DECISIONS
    )
    recipients = (
        get_user_model()
        .objects.filter(who, is_active=True)
        .exclude(pk=decision.decided_by_id)
        .values_list("pk", flat=True)
        .distinct()
    )
    message = decision_message(decision)
    detail = f"Comment: {decision.comment}" if decision.comment else ""
    url = reverse("governance:approval_detail", args=[review.pk])
    return Notification.objects.bulk_create(
        Notification(user_id=user_id, message=message[:300], detail=detail, url=url) for user_id in sorted(recipients)
    )


def decision_message(decision: GateDecision) -> str:
    """One line: the gate, the initiative, the decision, who took it and what follows."""
    review = decision.review
    by = person_name(decision.decided_by)
    as_role = f" as {decision.get_role_display()}" if decision.role else ""
    what = {
        GateDecision.Kind.APPROVE: f"approved by {by}{as_role}",
        GateDecision.Kind.REQUEST_CHANGES: f"changes requested by {by}",
        GateDecision.Kind.REJECT: f"rejected by {by}",
        GateDecision.Kind.HOLD: f"put on hold by {by}",
        GateDecision.Kind.KILL: f"killed by {by}",
        GateDecision.Kind.RECYCLE: f"recycled to {decision.get_recycle_to_display()} by {by}",
    }[decision.decision]
    then = ""
    if decision.decision == GateDecision.Kind.APPROVE:
        passed = review.status == GateReview.Status.APPROVED
        then = f"; the gate is passed, now {review.get_to_stage_display()}" if passed else "; more approvals needed"
    return f"{review.get_gate_display()} of “{review.initiative.title}”: {what}{then}."
