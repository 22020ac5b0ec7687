"""A product manager takes a new initiative from nothing to a charter sign-off request."""

import re

import pytest
from playwright.sync_api import expect

from governance.models import AuditEvent, GateReview
from initiatives.models import Initiative, Role
from tests.browser.conftest import assert_accessible
from tests.conftest import COMPLETE_CHARTER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OVERRIDE = "The KPI tree is tracked in the BI workbook until OpModel can compute it."

# "Target users" also starts with it; the label of a field needed for sign-off says so.
TARGET_USER = "Target user required for sign-off"

# The charter form's labels, in the framework's own words, and what Alice types.
CHARTER_TEXT = {
    "Target user": COMPLETE_CHARTER["problem_user"],
    "Task or decision": COMPLETE_CHARTER["problem_task"],
    "Expected business result": COMPLETE_CHARTER["expected_business_result"],
    "Constraints": COMPLETE_CHARTER["constraints"],
    "Outcome statement": COMPLETE_CHARTER["outcome_statement"],
    "Target users": COMPLETE_CHARTER["target_users"],
    "Guardrails": COMPLETE_CHARTER["guardrails"],
    "Expected impact": COMPLETE_CHARTER["expected_impact"],
    "Scope": "EMEA desk only; the old macro library is retired",
    "What outcome does it support?": COMPLETE_CHARTER["outcome_supported"],
    "What data does it depend on?": COMPLETE_CHARTER["data_dependencies"],
    "What control does it need?": COMPLETE_CHARTER["control_needed"],
    "What gets reused afterward?": COMPLETE_CHARTER["reuse_plan"],
    "Day 1": "2026-01-05",
    "Day 30": "2026-02-04",
    "Day 60": "2026-03-06",
    "Day 90": "2026-04-05",
    "Cost per 1,000 inferences": "0.4200",
    "Expected volume": "120000",
}


def test_pm_creates_an_initiative_and_submits_its_charter_for_sign_off(page, login, screenshot, alice, sam):
    login(alice)

    # 1. Create the initiative: it lands on the charter form.
    page.goto("/initiatives/new/")
    assert_accessible(page)
    page.get_by_label("Title").fill("Support triage assistant")
    page.get_by_label("Business unit").fill("Customer Support")
    page.get_by_label("Risk tier").select_option(label="Medium")
    page.get_by_label("Started on").fill("2026-01-05")
    page.get_by_role("button", name="Create initiative").click()
    expect(page).to_have_url(re.compile(r"/initiatives/support-triage-assistant[\w-]*/charter/$"))
    expect(page.get_by_role("heading", name="Experiment charter")).to_be_visible()
    initiative = Initiative.objects.get()
    assert (initiative.created_by, initiative.risk_tier) == (alice, "medium")
    assert initiative.started_on.isoformat() == "2026-01-05"
    assert initiative.role_assignments.filter(role=Role.PRODUCT_MANAGER, user=alice).exists()

    # 2. A draft saves incomplete and says what is still missing.
    page.get_by_label(TARGET_USER, exact=True).fill(CHARTER_TEXT["Target user"])
    page.get_by_label("Task or decision").fill(CHARTER_TEXT["Task or decision"])
    page.get_by_role("button", name="Save charter").click()
    expect(page).to_have_url(re.compile(rf"/initiatives/{initiative.slug}/$"))
    expect(page.get_by_role("status")).to_contain_text("Still to fill before sign-off: Expected business result")
    initiative.charter.refresh_from_db()
    assert initiative.charter.problem_user == CHARTER_TEXT["Target user"]
    assert not initiative.charter.is_complete

    # 3. Submitting with unmet criteria and no override reason is refused.
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("alert")).to_contain_text("Gate criteria not met")
    expect(page.get_by_role("alert")).to_contain_text("Give an override reason")
    assert not GateReview.objects.exists()

    # 4. Complete every field of the charter, with Alice as its owner.
    page.get_by_role("link", name="Edit charter").click()
    for label, value in CHARTER_TEXT.items():
        page.get_by_label(TARGET_USER if label == "Target user" else label, exact=label == "Target user").fill(value)
    page.get_by_label("Owner").select_option(label="Alice Product")
    page.get_by_role("button", name="Save charter").click()
    expect(page.get_by_role("status")).to_contain_text("Charter saved and complete.")
    charter = initiative.charter
    charter.refresh_from_db()
    assert charter.is_complete
    assert charter.owner == alice
    assert charter.scope == CHARTER_TEXT["Scope"]
    assert str(charter.cost_per_1000_inferences) == "0.4200"
    assert charter.launch_due_on.isoformat() == "2026-04-05"

    # 5. Sam becomes executive sponsor through the "Assign a role" form.
    # The form is folded under the roles table. The label reads "Role *"; its accessible name, without
    # the decorative asterisk, is "Role".
    page.get_by_text("Assign a role", exact=True).click()
    page.get_by_role("combobox", name="Role", exact=True).select_option(label="Executive sponsor")
    page.get_by_label("Person").select_option(label="Sam Sponsor")
    page.get_by_role("button", name="Assign role").click()
    expect(page.get_by_role("status")).to_contain_text("is now Executive sponsor")
    sponsor_row = page.locator("#roles tr").filter(has_text="Executive sponsor")
    expect(sponsor_row).to_contain_text("Sam Sponsor")
    assert initiative.role_assignments.filter(role=Role.EXECUTIVE_SPONSOR, user=sam).exists()

    expect(page.get_by_text("Next gate: Charter sign-off")).to_be_visible()
    expect(page.locator("#next-gate")).to_contain_text("Needs a leading and a lagging KPI")
    assert_accessible(page)
    screenshot("initiative-page")

    # 6. Submit with an override reason: she lands on the decision pack and may not decide it.
    page.get_by_label("Override reason").fill(OVERRIDE)
    page.get_by_role("button", name="Submit for approval").click()
    review = GateReview.objects.get()
    expect(page).to_have_url(re.compile(rf"/approvals/{review.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("Submitted for Charter sign-off")
    blocked = "You requested this review, so you cannot decide it (segregation of duties)."
    expect(page.get_by_text(blocked)).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.locator("#override")).to_contain_text(OVERRIDE)

    assert review.status == GateReview.Status.OPEN
    assert review.requested_by == alice
    assert review.initiative == initiative
    assert review.override_reason == OVERRIDE
    assert review.snapshot["charter"]["outcome_statement"] == COMPLETE_CHARTER["outcome_statement"]
    initiative.refresh_from_db()
    assert initiative.stage == "define-outcome"
    assert AuditEvent.objects.filter(initiative_id=initiative.pk, action="gate.requested").count() == 1
