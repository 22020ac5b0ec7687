"""A row of a list of gate reviews, built in Python as Django's admin builds its change list's
(django.contrib.admin.templatetags.admin_list.items_for_result): the template engine's lookups and
filters took a quarter of an approvals page of 60 rows; format_row escapes every value the same way."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from governance.models import Gate, GateReview
from initiatives.models import Initiative
from initiatives.people import person_name
from opmodel.html import format_row

register = template.Library()

# Labels by value, looked up once: get_FOO_display rebuilds its choices on every call.
GATE_LABELS = dict(Gate.choices)
TIER_LABELS = dict(Initiative.RiskTier.choices)
STATUS_LABELS = dict(GateReview.Status.choices)
OVERRIDE = mark_safe(' <span class="badge warn">override</span>')  # noqa: S308 (a constant)
OVERDUE = mark_safe(' <span class="badge warn">overdue</span>')  # noqa: S308 (a constant)


@register.simple_tag
def review_rows(reviews) -> SafeString:
    """A <tr> per review: initiative, gate, risk tier, who asked and when, status (GateReview.for_review_rows
    loads what it reads). One reverse() for them all: their URLs differ by the review's id only."""
    urls = reverse("governance:approval_detail", args=[0]).rsplit("0", 1)
    return SafeString("".join(_review_row(review, urls) for review in reviews))


def _review_row(review: GateReview, urls: list[str]) -> SafeString:
    requested = timezone.localtime(review.requested_at)
    initiative = review.initiative
    return format_row(
        '<tr><td><a href="{}{}{}">{}</a></td><td>{}{}</td><td><span class="badge risk-{}">{}</span></td>'
        '<td>{}, {} {}{}</td><td><span class="badge review-{}">{}</span></td></tr>',
        urls[0],
        review.pk,
        urls[1],
        initiative.title,
        GATE_LABELS.get(review.gate, review.gate),
        OVERRIDE if review.override_reason else "",
        initiative.risk_tier,
        TIER_LABELS.get(initiative.risk_tier, initiative.risk_tier),
        person_name(review.requested_by),
        requested.day,
        requested.strftime("%b %Y"),
        OVERDUE if review.is_overdue else "",
        review.status,
        STATUS_LABELS.get(review.status, review.status),
    )
