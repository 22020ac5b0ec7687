"""The rows of a list of gate reviews, built in Python as Django's admin builds its change list's
(django.contrib.admin.templatetags.admin_list.items_for_result): the template engine's lookups and
filters took a quarter of an approvals page of 60 rows; format_row escapes every value the same way."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from governance.reviews import ReviewRow
from opmodel.html import format_row

register = template.Library()

OVERRIDE = mark_safe(' <span class="badge warn">override</span>')  # noqa: S308 (a constant)
OVERDUE = mark_safe(' <span class="badge warn">overdue</span>')  # noqa: S308 (a constant)


@register.simple_tag
def review_rows(reviews: list[ReviewRow]) -> SafeString:
    """A <tr> per review: initiative, gate, risk tier, who asked and when, status. One reverse() for them
    all: their URLs differ by the review's id only."""
    urls = reverse("governance:approval_detail", args=[0]).rsplit("0", 1)
    return SafeString("".join(_review_row(review, urls) for review in reviews))


def _review_row(review: ReviewRow, urls: list[str]) -> SafeString:
    requested = timezone.localtime(review.requested_at)
    return format_row(
        '<tr><td><a href="{}{}{}">{}</a></td><td>{}{}</td><td><span class="badge risk-{}">{}</span></td>'
        '<td>{}, {} {}{}</td><td><span class="badge review-{}">{}</span></td></tr>',
        urls[0],
        review.pk,
        urls[1],
        review.title,
        review.gate_label,
        OVERRIDE if review.override_reason else "",
        review.risk_tier,
        review.risk_tier_label,
        review.requester_name,
        requested.day,
        requested.strftime("%b %Y"),
        OVERDUE if review.is_overdue else "",
        review.status,
        review.status_label,
    )
