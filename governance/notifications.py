"""Who hears about a gate review, and the emails they get."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.urls import reverse

from governance.permissions import LEADERSHIP_GROUP, LEADERSHIP_ROLES


def approvers_of(review):
    """Everyone who may still decide: holders of required roles, plus leaders for sponsor/CTO slots."""
    roles = {role for slot in review.policy.approver_slots for role in slot}
    who = Q(role_assignments__initiative=review.initiative_id, role_assignments__role__in=roles)
    if roles & LEADERSHIP_ROLES:
        who |= Q(groups__name=LEADERSHIP_GROUP)
    return get_user_model().objects.filter(who, is_active=True).exclude(pk=review.requested_by_id).distinct()


def email_approvers(review, *, subject_prefix: str) -> int:
    url = settings.SITE_URL + reverse("governance:approval_detail", args=[review.pk])
    subject = f"{subject_prefix}: {review.get_gate_display()} for {review.initiative.title}"
    body = (
        f"{review.requested_by} asked for the {review.get_gate_display()} gate of “{review.initiative.title}” "
        f"({review.get_from_stage_display()} → {review.get_to_stage_display()}).\n\n"
        f"Open the decision pack: {url}\n"
    )
    messages = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]) for user in approvers_of(review) if user.email
    ]
    return send_mass_mail(messages, fail_silently=False)
