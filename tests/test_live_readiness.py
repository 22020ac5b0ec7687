"""Readiness that is never stale: pages and the API count the next gate's criteria as evaluated now.

A scorecard snapshot lags a decision until the next scheduled run; nothing here runs one after
the decision, so a figure read from the snapshot would contradict the live criteria rows.
The decision pack shows the criteria now beside the results stored when the review was requested.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from governance.criteria import compare, evaluated_as_of
from governance.services import request_review
from initiatives import services as initiative_services
from initiatives.models import Initiative
from kpis.models import Scorecard
from kpis.recompute import recompute_scorecards
from tests.lifecycle import api_as, pass_gate, request, support_tree
from tests.test_scale_out_criteria import LAUNCHED_DAYS_AGO, launched  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(initiative, alice, sam):
    """Charter sign-off passed on evidence (3 / 3 in the last snapshot), then approved: no run since."""
    support_tree(initiative, alice, prefix="support-triage")
    recompute_scorecards(full=True)
    snapshot = Scorecard.objects.get(initiative=initiative)
    assert (snapshot.next_gate, snapshot.readiness_met, snapshot.readiness_total) == ("charter-signoff", 3, 3)
    pass_gate(initiative, requester=alice, approvers=[sam])
    assert Scorecard.objects.filter(initiative=initiative).count() == 1  # still the stale snapshot
    return initiative


def test_the_initiative_page_counts_the_next_gates_criteria_now(client, approved, alice):
    client.force_login(alice)

    response = client.get(approved.get_absolute_url())

    criteria = response.context["criteria"]
    assert [c.key for c in criteria] == ["foundation-controls", "data-sources-classified", "review-escalation-rollback"]
    assert response.context["readiness"]["met"] == sum(c.passed for c in criteria) == 0
    html = response.content.decode()
    readiness = html[html.index('id="readiness"') :].split("</div>")[0]
    assert "Foundation ready readiness" in readiness and "0 / 3" in readiness and "criteria met now" in readiness
    assert "3 / 3" not in html
    assert 'Next gate: Foundation ready <small class="muted">· 0 / 3 criteria met now' in html


def test_the_api_gives_the_next_gates_criteria_and_readiness_now(approved, alice):
    body = api_as(alice).get(f"/api/v1/initiatives/{approved.slug}/").json()

    assert body["next_gate"] == "foundation-ready"
    assert len(body["gate_criteria"]) == 3
    met = sum(c["status"] == "pass" for c in body["gate_criteria"])
    assert (body["gate_readiness"]["met"], body["gate_readiness"]["total"]) == (met, 3)
    assert body["gate_readiness"]["evaluated_at"]


def test_the_portfolio_labels_its_snapshot_readiness_and_never_shows_the_previous_gates(client, approved, lee):
    client.force_login(lee)

    html = client.get(reverse("initiatives:portfolio")).content.decode()

    row = html[html.index(approved.title) :].split("</tr>")[0]
    assert "3 / 3" not in row
    assert "being recomputed after the stage change" in row
    recompute_scorecards(full=True)
    row = client.get(reverse("initiatives:portfolio")).content.decode()
    row = row[row.index(approved.title) :].split("</tr>")[0]
    assert "0 / 3" in row and "UTC" in row  # a snapshot figure, with the time it was computed


def test_the_pack_shows_criteria_now_beside_when_requested_and_marks_the_change(
    client, make_initiative, alice, sam, django_assert_max_num_queries
):
    initiative = make_initiative(outcome_statement="")
    review = request(initiative, alice)
    initiative_services.update_charter(
        initiative.pk, acting_user=alice, outcome_statement="Handling time falls from 12 to 9.6 minutes"
    )
    client.force_login(sam)
    url = reverse("governance:approval_detail", args=[review.pk])

    with django_assert_max_num_queries(20):  # 16 today: a fixed set, whatever the criteria
        html = client.get(url).content.decode()

    table = html[html.index('class="criteria-compare"') :].split("</table>")[0]
    assert "Criteria now" in table and "When requested" in table
    row = table[table.index('data-criterion="charter-complete"') :].split("</tr>")[0]
    assert "was Fail, now Pass" in row
    assert "Missing: Outcome statement" in row  # the reason stored when requested, beside today's
    unchanged = table[table.index('data-criterion="pilot-theater-answered"') :].split("</tr>")[0]
    assert "was " not in unchanged
    assert '<tr class="changed" data-criterion="charter-complete">' in table
    assert "1 changed since the request" in html


def test_when_requested_counts_days_up_to_the_request(client, launched, alice, sam):  # noqa: F811
    requested_at = Initiative.objects.get(pk=launched.pk).stage_entered_at + timedelta(days=30)
    with evaluated_as_of(requested_at):
        review = request_review(launched.pk, acting_user=alice)

    assert review.requested_at == requested_at
    stored = {c["key"]: c["reason"] for c in review.criteria_results}
    assert stored["observation-window"] == "30 days observed since launch (minimum 28)."
    client.force_login(sam)
    html = client.get(reverse("governance:approval_detail", args=[review.pk])).content.decode()
    row = html[html.index('data-criterion="observation-window"') :].split("</tr>")[0]
    now_cell, then_cell = row.split("<td")[1:3]
    assert f"{LAUNCHED_DAYS_AGO} days observed since launch" in now_cell
    assert "30 days observed since launch" in then_cell


def test_a_criterion_only_the_request_had_shows_a_dash_now_and_no_change():
    then = [{"key": "retired", "label": "No longer named by the policy", "status": "pass"}]

    assert compare([], then) == [
        {"key": "retired", "label": then[0]["label"], "now": None, "then": then[0], "changed": False, "change": ""}
    ]
