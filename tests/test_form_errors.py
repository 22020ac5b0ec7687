"""Forms people finish: what a page shows after a failed save, and which charter fields it marks for sign-off.

The browser half (focus, the counter) is tests/browser/test_form_errors.py.
"""

import re

import pytest
from django.urls import reverse

from governance.models import GateReview
from initiatives.models import Charter, Role
from kpis.models import Driver, Objective

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div class="error-summary" role="alert" tabindex="-1".*?</div>', re.S)


def summary_links(html: str) -> list[tuple[str, str]]:
    """(target, text) of each link in the page's one error summary."""
    summaries = SUMMARY.findall(html)
    assert len(summaries) == 1, summaries
    return re.findall(r'<a href="#([\w-]+)">(.*?)</a>', summaries[0])


def test_a_failed_charter_save_lists_each_error_linked_to_its_field(client, make_initiative, alice):
    initiative = make_initiative(complete=False)
    client.force_login(alice)
    data = {"plan_start_on": "2026-06-01", "launch_due_on": "2026-05-01", "expected_monthly_volume": "-1"}

    response = client.post(reverse("initiatives:charter", args=[initiative.slug]), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Not saved: 2 things to fix" in html
    assert summary_links(html) == [
        (
            "id_launch_due_on",
            "Day 90: launched, trained and standardized: The 90-day plan dates must run in order: "
            "day 1, day 30, day 60, day 90.",
        ),
        (
            "id_expected_monthly_volume",
            "Expected volume (inferences per month): Ensure this value is greater than or equal to 0.",
        ),
    ]
    assert 'id="id_launch_due_on_error"' in html  # the widget's aria-describedby names the message beside it
    assert html.index("error-summary") < html.index('id="id_problem_user"')  # atop the form


def test_the_charter_marks_in_words_the_fields_required_for_sign_off(client, make_initiative, alice):
    initiative = make_initiative(complete=False)
    client.force_login(alice)

    html = client.get(reverse("initiatives:charter", args=[initiative.slug])).content.decode()

    marked = re.findall(r'<label for="id_(\w+)">[^<]*<span class="signoff">required for sign-off</span>', html)
    assert marked == [*Charter.REQUIRED_FIELDS, *Charter.PILOT_THEATER_FIELDS]  # the page's order, which is theirs
    assert 'id="signoff-legend"' in html


@pytest.mark.parametrize(
    ("route", "values", "field", "message"),
    [
        ("kpis:driver_add", {"name": ""}, "name", "This field is required."),
        ("kpis:objective_set", {"statement": "x" * 301}, "statement", "at most 300 characters (it has 301)"),
        ("kpis:template_apply", {"template": "poem"}, "template", "Select a valid choice."),
        ("initiatives:role_assign", {"role": "wizard"}, "role", "Select a valid choice."),
        ("initiatives:review_request", {"override_reason": "x" * 5001}, "override_reason", "at most 5000 characters"),
        ("governance:reuse_review", {"on": "2001-01-01"}, "on", "cannot be scheduled in the past"),
    ],
)
def test_a_refused_panel_form_comes_back_on_a_page_of_its_own(client, initiative, alice, route, values, field, message):
    """A form posted from a panel of the initiative page, refused, is shown again by itself: the summary
    on top, what was typed kept, a way back; nothing is written."""
    client.force_login(alice)

    response = client.post(reverse(route, args=[initiative.slug]), values)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "form_page.html"
    html = response.content.decode()
    assert any(target == f"id_{field}" and message in text for target, text in summary_links(html))
    assert f'href="{initiative.get_absolute_url()}' in html
    assert not Driver.objects.exists() and not Objective.objects.exists() and not GateReview.objects.exists()
    assert initiative.role_assignments.exclude(role__in=[Role.PRODUCT_MANAGER, Role.EXECUTIVE_SPONSOR]).count() == 0
