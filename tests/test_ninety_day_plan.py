"""The framework's 90-day plan tracked: the charter's three milestone dates against the gates approved."""

from datetime import timedelta

import pytest
from django.utils import timezone

from initiatives import plan
from initiatives.models import Charter, Stage
from tests.lifecycle import pass_charter_signoff

pytestmark = pytest.mark.django_db


def statuses(initiative, today):
    initiative.refresh_from_db()
    return [(row.milestone.day, row.status, row.days_late) for row in plan.timeline(initiative, today)]


def test_without_dates_nothing_is_planned_and_nothing_is_behind(initiative):
    Charter.objects.filter(initiative=initiative).update(
        scorecard_due_on=None, foundation_due_on=None, launch_due_on=None
    )
    today = timezone.localdate()

    assert statuses(initiative, today) == [(30, "unplanned", 0), (60, "unplanned", 0), (90, "unplanned", 0)]
    assert plan.missed_milestone(initiative.stage, initiative.charter, today) is None


def test_a_milestone_is_behind_once_its_date_passed_and_met_or_late_once_its_gate_is_approved(initiative, alice, sam):
    today = timezone.localdate()
    Charter.objects.filter(initiative=initiative).update(
        scorecard_due_on=today - timedelta(days=2),
        foundation_due_on=today + timedelta(days=10),
        launch_due_on=today + timedelta(days=40),
    )
    assert statuses(initiative, today) == [(30, "behind", 2), (60, "upcoming", 0), (90, "upcoming", 0)]
    assert plan.missed_milestone(Stage.DEFINE_OUTCOME, initiative.charter, today).day == 30

    pass_charter_signoff(initiative, requester=alice, approver=sam)

    assert statuses(initiative, today) == [(30, "late", 2), (60, "upcoming", 0), (90, "upcoming", 0)]
    assert plan.missed_milestone(Stage.SECURE_FOUNDATION, initiative.charter, today) is None
    # Reached on its own date is on time.
    Charter.objects.filter(initiative=initiative).update(scorecard_due_on=today)
    assert statuses(initiative, today)[0] == (30, "met", 0)


def test_the_overview_shows_the_plan(client, initiative, alice):
    today = timezone.localdate()
    Charter.objects.filter(initiative=initiative).update(
        scorecard_due_on=today - timedelta(days=5), foundation_due_on=None, launch_due_on=today + timedelta(days=60)
    )
    client.force_login(alice)

    page = client.get(initiative.get_absolute_url()).content.decode()

    card = page[page.index('id="plan"') :][:3000]
    assert "Day 30: Charter signed off" in card and "Behind plan by 5 days" in card
    assert "Day 60: Foundation hardened and tested" in card and "no date in the charter" in card
    assert "Day 90: Rolled out with enablement" in card and "Ahead" in card
