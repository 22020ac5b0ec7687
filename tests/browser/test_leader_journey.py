"""Leaders and sponsors decide a charter sign-off from their inbox and the decision pack."""

import re

import pytest
from playwright.sync_api import expect

from governance.models import AuditEvent, GateDecision, GateReview
from governance.services import request_review
from tests.browser.conftest import assert_accessible, open_tab
from tests.conftest import COMPLETE_CHARTER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHARTER_QUESTIONS = [
    "Do users actually want this workflow change?",
    "What task are we removing or simplifying?",
    "Which KPI proves the change matters?",
]
OVERRIDE = "The KPI tree is tracked in the BI workbook until OpModel can compute it."


@pytest.fixture
def review(initiative, alice):
    """Alice's open charter sign-off request on her complete charter."""
    return request_review(initiative.pk, acting_user=alice, override_reason=OVERRIDE)


def test_leader_approves_from_the_inbox_and_the_initiative_moves_on(page, login, screenshot, review, initiative, lee):
    login(lee)

    page.goto("/approvals/")
    assert_accessible(page)
    inbox = page.locator("section").filter(has=page.get_by_role("heading", name="Waiting for my decision"))
    expect(inbox).to_contain_text("Charter sign-off")
    inbox.get_by_role("link", name=initiative.title).click()

    expect(page.get_by_role("heading", name=f"Charter sign-off: {initiative.title}")).to_be_visible()
    snapshot = page.locator("section").filter(has=page.get_by_role("heading", name="What you are approving"))
    expect(snapshot).to_contain_text(COMPLETE_CHARTER["outcome_statement"])
    expect(snapshot).to_contain_text(COMPLETE_CHARTER["reuse_plan"])
    expect(page.locator("section").filter(has_text="Requested with an override")).to_contain_text(OVERRIDE)
    criteria = page.locator("#criteria")
    expect(criteria.get_by_role("columnheader", name="Criteria now")).to_be_visible()
    expect(criteria.get_by_role("columnheader", name="When requested")).to_be_visible()

    # The checklist counts: approving before answering is refused, naming each question.
    page.get_by_role("button", name="Approve").click()
    refusal = page.get_by_role("alert").filter(has_text="Answer the executive checklist before approving")
    for question in CHARTER_QUESTIONS:
        expect(refusal).to_contain_text(question)
    assert not review.decisions.exists()

    for question, answer, note in [
        (CHARTER_QUESTIONS[0], "No", "Only the EMEA desk asked for it; survey the other desks before scale-out."),
        (CHARTER_QUESTIONS[1], "Yes", ""),
        (CHARTER_QUESTIONS[2], "Yes", "Average handling time, 12 to 9.6 minutes."),
    ]:
        item = page.get_by_role("article", name=question)
        expect(item.get_by_label("Answer")).to_have_value("")  # nothing is preset
        item.get_by_label("Answer").select_option(label=answer)
        item.get_by_label("Note").fill(note)
        item.get_by_role("button", name="Save answer").click()
        expect(page.get_by_role("status")).to_contain_text(f"Answer recorded: {question} {answer}.")
    expect(page.locator("#checklist-due")).to_have_count(0)
    assert_accessible(page)
    screenshot("decision-pack")

    page.get_by_label("Comment").fill("Clear outcome and guardrails; go build the foundation.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded: Approve.")
    decisions = page.locator("#decisions")
    decisions.get_by_text("Checklist answers this decision rested on (3)").click()
    expect(decisions).to_contain_text("Only the EMEA desk asked for it")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    page.get_by_role("link", name="Open the initiative page").click()
    stage_track = page.get_by_role("list", name="Stage")
    # The stage's name, then the 90-day-plan milestone it closes.
    expect(stage_track.locator("[aria-current=step]")).to_have_text(re.compile(r"^Secure foundation\b"))
    open_tab(page, "History")
    audit = page.locator("section").filter(has=page.get_by_role("heading", name="Audit trail"))
    expect(audit).to_contain_text("Gate decision")
    expect(audit).to_contain_text("Stage changed")

    initiative.refresh_from_db()
    review.refresh_from_db()
    assert initiative.stage == "secure-foundation"
    assert review.status == GateReview.Status.APPROVED
    decision = review.decisions.get()
    assert (decision.decision, decision.decided_by, decision.comment) == (
        GateDecision.Kind.APPROVE,
        lee,
        "Clear outcome and guardrails; go build the foundation.",
    )
    assert [a["answer"] for a in decision.checklist] == ["no", "yes", "yes"]
    assert AuditEvent.objects.filter(initiative_id=initiative.pk, action="initiative.stage_changed").count() == 1


def test_sponsor_must_say_why_when_requesting_changes(page, login, review, initiative, sam):
    login(sam)
    page.goto(f"/approvals/{review.pk}/")
    assert_accessible(page)

    page.get_by_role("button", name="Request changes").click()
    comment_field = page.locator(".field").filter(has=page.get_by_label("Comment"))
    say_why = "Say why: a comment is required for every decision except approve."
    expect(comment_field.locator(".error")).to_have_text(say_why)
    expect(page.get_by_role("alert")).to_contain_text(f"Comment: {say_why}")  # the summary atop the form
    review.refresh_from_db()
    assert review.status == GateReview.Status.OPEN
    assert not review.decisions.exists()

    page.get_by_label("Comment").fill("Name the guardrail owner before we sign.")
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded: Request changes.")
    expect(page.get_by_text("Changes requested", exact=True).first).to_be_visible()

    review.refresh_from_db()
    initiative.refresh_from_db()
    assert review.status == GateReview.Status.CHANGES_REQUESTED
    assert initiative.stage == "define-outcome"
    decision = review.decisions.get()
    assert (decision.decision, decision.decided_by, decision.comment) == (
        GateDecision.Kind.REQUEST_CHANGES,
        sam,
        "Name the guardrail owner before we sign.",
    )
