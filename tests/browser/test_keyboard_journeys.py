"""The product manager's and the leader's journeys with the keyboard alone: Tab, Shift+Tab, Enter, Space,
arrows and typing; no click. Each control reached shows its focus, and a failed save puts focus on its
error summary."""

import re

import pytest
from playwright.sync_api import expect

from governance.models import GateDecision, GateReview
from governance.services import request_review
from initiatives.models import Initiative, Role
from kpis.models import Kpi
from tests.browser.conftest import PASSWORD, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OVERRIDE = "The KPI tree is tracked in the BI workbook until OpModel can compute it."
CHARTER_QUESTIONS = [
    "Do users actually want this workflow change?",
    "What task are we removing or simplifying?",
    "Which KPI proves the change matters?",
]


def focus_is_visible(page) -> None:
    """The focused element matches :focus-visible and draws an outline."""
    shown = page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el);
            return el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
        }"""
    )
    assert shown, f"focus is not visible on {page.evaluate('() => document.activeElement.outerHTML.slice(0, 200)')}"


def tab_to(page, target, *, backwards: bool = False, limit: int = 300) -> None:
    """Press Tab (or Shift+Tab) until the target has focus, as a keyboard user would walk to it."""
    target.wait_for(state="attached")
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if target.evaluate("el => el === document.activeElement"):
            focus_is_visible(page)
            return
    raise AssertionError(f"Tab never reached {target}")


def choose(page, select, label: str) -> None:
    """Pick an option of the focused <select> with the arrow keys, as the keyboard does without opening it."""
    expect(select).to_be_focused()
    page.keyboard.press("Home")
    for _ in range(60):
        if select.evaluate("s => s.selectedOptions[0] && s.selectedOptions[0].label") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {label!r} in {select}")


def type_into(page, field, text: str) -> None:
    tab_to(page, field)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()  # autofocus: the page opens at it
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    # On every page the skip link comes first, and takes focus to the page's main content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_pm_creates_an_initiative_and_submits_it_with_the_keyboard_only(page, alice, sam):
    log_in(page, "alice")

    # 1. The main menu, then the list's "New initiative" link.
    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Initiatives"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name=re.compile("New initiative")))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("/initiatives/new/$"))
    assert_accessible(page)

    type_into(page, page.get_by_label("Title"), "Claims intake assistant")
    type_into(page, page.get_by_label("Business unit"), "Claims")
    tab_to(page, page.get_by_label("Risk tier"))
    choose(page, page.get_by_label("Risk tier"), "High")
    # A date field takes its digits segment by segment, month first in Chromium's en-US.
    tab_to(page, page.get_by_label("Started on"))
    page.keyboard.type("01052026")
    expect(page.get_by_label("Started on")).to_have_value("2026-01-05")
    tab_to(page, page.get_by_role("button", name="Create initiative"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Experiment charter")).to_be_visible()
    initiative = Initiative.objects.get()
    assert (initiative.title, initiative.business_unit, initiative.risk_tier) == (
        "Claims intake assistant",
        "Claims",
        "high",
    )

    # 2. The charter: a failed save opens at its error summary; its link leads to the field to fix.
    type_into(
        page, page.get_by_label("Target user required for sign-off", exact=True), "Claims handlers at the intake desk"
    )
    type_into(page, page.get_by_label("Cost per 1,000 inferences"), "-1")
    tab_to(page, page.get_by_role("button", name="Save charter"))
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link")).to_be_focused()
    focus_is_visible(page)
    page.keyboard.press("Enter")
    cost = page.get_by_label("Cost per 1,000 inferences")
    expect(cost).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("0.42")
    page.keyboard.press("Enter")  # Enter in a field submits its form
    expect(page.get_by_role("status")).to_contain_text("Draft saved")
    initiative.charter.refresh_from_db()
    assert initiative.charter.problem_user == "Claims handlers at the intake desk"
    assert str(initiative.charter.cost_per_1000_inferences) == "0.4200"

    # 3. The outcome tree, from a template.
    tab_to(
        page, page.get_by_role("navigation", name="Initiative sections").get_by_role("link", name="Outcome tree & KPIs")
    )
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Start from a template"))
    choose(page, page.get_by_label("Start from a template"), "Support triage")
    tab_to(page, page.get_by_role("button", name="Apply template"))
    page.keyboard.press("Space")
    expect(page.get_by_role("status")).to_contain_text("Added 8 KPIs from the template.")
    assert Kpi.objects.filter(initiative=initiative).count() == 8
    assert_accessible(page)

    # 4. Sam becomes executive sponsor: the folded "Assign a role" opens with Enter.
    tab_to(page, page.get_by_role("navigation", name="Initiative sections").get_by_role("link", name="Overview"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("details.assign-role > summary"))
    page.keyboard.press("Enter")
    role = page.get_by_role("combobox", name="Role", exact=True)
    tab_to(page, role)
    choose(page, role, "Executive sponsor")
    tab_to(page, page.get_by_label("Person"))
    choose(page, page.get_by_label("Person"), "Sam Sponsor")
    tab_to(page, page.get_by_role("button", name="Assign role"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("is now Executive sponsor")
    assert initiative.role_assignments.filter(role=Role.EXECUTIVE_SPONSOR, user=sam).exists()

    # 5. Submit for approval with an override reason.
    type_into(page, page.get_by_label("Override reason"), OVERRIDE)
    tab_to(page, page.get_by_role("button", name="Submit for approval"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Submitted for Charter sign-off")
    assert_accessible(page)
    review = GateReview.objects.get()
    assert (review.initiative, review.requested_by, review.status) == (initiative, alice, GateReview.Status.OPEN)
    assert review.override_reason == OVERRIDE


def test_leader_answers_the_checklist_and_approves_with_the_keyboard_only(page, initiative, alice, lee):
    review = request_review(initiative.pk, acting_user=alice, override_reason=OVERRIDE)
    log_in(page, "lee")

    # 1. The inbox, from the main menu, and the decision pack from it.
    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals"))
    page.keyboard.press("Enter")
    inbox = page.locator("section").filter(has=page.get_by_role("heading", name="Waiting for my decision"))
    tab_to(page, inbox.get_by_role("link", name=initiative.title))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Charter sign-off: {initiative.title}")).to_be_visible()

    # 2. Each checklist question answered: arrows in the select, a note typed, Enter on its button.
    for question, answer in zip(CHARTER_QUESTIONS, ["No", "Yes", "Yes"], strict=True):
        item = page.get_by_role("article", name=question)
        tab_to(page, item.get_by_label("Answer"))
        choose(page, item.get_by_label("Answer"), answer)
        type_into(page, item.get_by_label("Note"), f"Checked: {answer}.")
        tab_to(page, item.get_by_role("button", name="Save answer"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text(f"Answer recorded: {question} {answer}.")
    expect(page.locator("#checklist-due")).to_have_count(0)
    assert_accessible(page)

    # 3. A comment, then Approve.
    type_into(page, page.get_by_label("Comment"), "Clear outcome and guardrails.")
    tab_to(page, page.get_by_role("button", name="Approve"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Recorded: Approve.")
    review.refresh_from_db()
    initiative.refresh_from_db()
    assert review.status == GateReview.Status.APPROVED
    assert initiative.stage == "secure-foundation"
    decision = review.decisions.get()
    assert (decision.decision, decision.decided_by) == (GateDecision.Kind.APPROVE, lee)
    assert [a["answer"] for a in decision.checklist] == ["no", "yes", "yes"]
