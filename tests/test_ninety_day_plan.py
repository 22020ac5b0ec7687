"""The framework's 90-day plan tracked: the charter's three milestone dates against the gates approved."""

import re
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
    assert statuses(initiative, today - timedelta(days=2))[0] == (30, "upcoming", 0)  # due that day: not yet behind
    assert plan.missed_milestone(Stage.DEFINE_OUTCOME, initiative.charter, today).day == 30

    pass_charter_signoff(initiative, requester=alice, approver=sam)

    assert statuses(initiative, today) == [(30, "late", 2), (60, "upcoming", 0), (90, "upcoming", 0)]
    assert plan.missed_milestone(Stage.SECURE_FOUNDATION, initiative.charter, today) is None
    # Reached on its own date is on time.
    Charter.objects.filter(initiative=initiative).update(scorecard_due_on=today)
    assert statuses(initiative, today)[0] == (30, "met", 0)


def test_the_stage_track_shows_the_milestone_each_stage_closes_on_every_tab(client, initiative, alice):
    today = timezone.localdate()
    Charter.objects.filter(initiative=initiative).update(
        scorecard_due_on=today - timedelta(days=5), foundation_due_on=None, launch_due_on=today + timedelta(days=60)
    )
    client.force_login(alice)

    for tab in ("", "?tab=history"):
        page = client.get(initiative.get_absolute_url() + tab).content.decode()
        track = page[page.index('class="stage-track"') :]
        track = track[: track.index("</ol>")]
        steps = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "<li" + step)).strip() for step in track.split("<li")[1:]]
        assert steps[0].startswith("Define outcome Day 30: ⚠ behind plan by 5 d")
        assert steps[1].endswith("Day 60: no date")
        assert steps[2].endswith(f"Day 90: due {today + timedelta(days=60):%-d %b}")
        assert "Day" not in steps[3] + steps[4]
