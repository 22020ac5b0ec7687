"""A risk owner fills the foundation, raises the risk tier, signs the gate off and prints the control model."""

import pytest
from playwright.sync_api import expect

from governance.foundation import services as foundation
from governance.models import ChecklistAnswer, Control, DataSource, GateDecision
from initiatives.models import Role
from tests.browser.conftest import assert_accessible
from tests.lifecycle import give_role, pass_charter_signoff, request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

IN_THE_BROWSER = {"human-review", "rollback-plan", "support-channel"}


@pytest.fixture
def in_foundation(make_initiative, alice, sam, rita, dana):
    initiative = make_initiative()
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    for control in Control.objects.filter(is_active=True).exclude(key__in=IN_THE_BROWSER):
        foundation.set_control(
            initiative.pk, acting_user=rita, control_key=control.key, status="in-place", evidence=f"wiki/{control.key}"
        )
    return initiative


def test_risk_owner_fills_the_foundation_and_signs_off(page, login, screenshot, in_foundation, alice, rita):
    login(rita)
    page.goto(f"/initiatives/{in_foundation.slug}/foundation/")
    assert_accessible(page)
    expect(page.get_by_role("heading", name="Foundation: Support triage assistant")).to_be_visible()

    # 1. Two controls in place with evidence, one waived with a reason.
    for name, evidence in [
        ("Human review", "Agents review answers below 0.7 confidence"),
        ("Rollback plan", "Feature flag triage-ai, tested 2026-02-01"),
    ]:
        control = page.get_by_role("article", name=name, exact=True)
        control.get_by_label("Status").select_option(label="In place")
        control.get_by_label("Evidence").fill(evidence)
        control.get_by_role("button", name="Save control").click()
        expect(page.get_by_role("status")).to_contain_text(f"{name}: in place.")
    support = page.get_by_role("article", name="Support channel")
    support.get_by_label("Status").select_option(label="Waived")
    support.get_by_label("Waiver reason").fill("The existing service desk queue covers it")
    support.get_by_role("button", name="Save control").click()
    expect(page.get_by_role("article", name="Support channel")).to_contain_text("Waived")

    # 2. A data source, classified with an owner and a freshness SLA.
    add = page.locator("#add-source")
    add.get_by_label("Name").fill("Ticket history")
    add.get_by_label("System").fill("Zendesk")
    add.get_by_label("Classification").select_option(label="Internal")
    add.get_by_label("Freshness SLA (hours)").fill("24")
    add.get_by_label("Retrieval scope").fill("Closed tickets of the last two years")
    add.get_by_label("Owner").select_option(label="Dana Data")
    add.get_by_role("button", name="Add data source").click()
    expect(page.get_by_role("status")).to_contain_text("Data source “Ticket history” added.")
    assert DataSource.objects.get().initiatives.get() == in_foundation

    # 3. Raising the risk tier adds legal/compliance to the next gate's approvers.
    approvers = page.locator("#next-gate-approvers")
    expect(approvers).not_to_contain_text("Legal / compliance")
    raise_tier = page.locator("form.raise-tier")
    raise_tier.get_by_label("New risk tier").select_option(label="High")
    raise_tier.get_by_label("Reason").fill("Answers reach customers in regulated markets")
    raise_tier.get_by_role("button", name="Raise risk tier").click()
    expect(page.get_by_role("status")).to_contain_text("Risk tier raised to high.")
    expect(approvers).to_contain_text("Legal / compliance")
    in_foundation.refresh_from_db()
    assert in_foundation.risk_tier == "high"

    # 4. Alice requests the review; Rita answers a checklist question and approves.
    review = request(in_foundation, alice)
    assert review.override_reason == ""  # every foundation criterion is met
    page.goto(f"/approvals/{review.pk}/")
    assert_accessible(page)
    question = page.get_by_role("article", name="Can we roll back safely?")
    question.get_by_label("Answer").select_option(label="Yes")
    question.get_by_label("Note").fill("Rollback rehearsed in staging")
    question.get_by_role("button", name="Save answer").click()
    expect(page.get_by_role("article", name="Can we roll back safely?")).to_contain_text(
        "Rollback rehearsed in staging"
    )
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded: Approve.")
    assert ChecklistAnswer.objects.get(review=review).answered_by == rita
    assert GateDecision.objects.filter(review=review, decided_by=rita, decision="approve").exists()

    # 5. The one-page control model, printed.
    page.goto(f"/initiatives/{in_foundation.slug}/control-model/")
    assert_accessible(page)
    expect(page.get_by_role("heading", name="Controls by layer")).to_be_visible()
    expect(page.locator("#risk")).to_contain_text("regulated markets")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") == 1
    assert_accessible(page)
    screenshot("control-model")
