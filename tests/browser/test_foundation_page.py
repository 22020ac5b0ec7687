"""The foundation page folds the layers with nothing missing, shows progress per layer, and filters to the work left."""

import re

import pytest
from playwright.sync_api import expect

from governance.foundation import services as foundation
from initiatives.models import Role
from tests.browser.conftest import assert_accessible
from tests.lifecycle import give_role, pass_charter_signoff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GOVERNANCE = ["access-policy", "review-workflow", "model-usage-boundaries", "retention-and-logging"]


@pytest.fixture
def in_foundation(make_initiative, alice, sam, rita):
    """Every governance control in place; everything else missing."""
    initiative = make_initiative()
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    for key in GOVERNANCE:
        foundation.set_control(initiative.pk, acting_user=rita, control_key=key, status="in-place", evidence="wiki")
    return initiative


def test_a_risk_owner_opens_a_folded_layer_and_works_through_the_missing_controls(
    page, login, screenshot, in_foundation, rita
):
    login(rita)
    page.goto(f"/initiatives/{in_foundation.slug}/foundation/")
    assert_accessible(page)

    # 1. Governance has nothing missing: folded to its progress; workflow is open at its missing controls.
    governance = page.locator("#layer-governance")
    expect(governance.locator("> summary")).to_contain_text("4 of 4 in place")
    expect(governance.get_by_role("article", name="Access policy")).to_be_hidden()
    expect(page.locator("#layer-workflow").get_by_role("article", name="Human review")).to_be_visible()
    expect(page.locator("#controls")).to_contain_text("4 of 19 in place · 15 missing")
    assert_accessible(page)
    screenshot("foundation-folded")

    # 2. Opening the layer shows its controls, each form folded until asked for.
    governance.locator("> summary").click()
    access = governance.get_by_role("article", name="Access policy")
    expect(access).to_be_visible()
    expect(access.get_by_label("Evidence")).to_be_hidden()
    access.get_by_text("Update status and evidence").click()
    expect(access.get_by_label("Evidence")).to_have_value("wiki")

    # 3. Missing only: the work left, and a control saved there leaves the list.
    page.get_by_role("link", name="Missing only (15)").click()
    expect(page).to_have_url(re.compile(r"\?missing=1#controls$"))
    expect(page.get_by_role("article", name="Access policy")).to_have_count(0)
    review = page.get_by_role("article", name="Human review")
    review.get_by_label("Status").select_option(label="In place")
    review.get_by_label("Evidence").fill("Agents review answers below 0.7 confidence")
    review.get_by_role("button", name="Save control").click()
    expect(page.get_by_role("status")).to_contain_text("Human review: in place.")
    expect(page).to_have_url(re.compile(r"\?missing=1#control-human-review$"))
    expect(page.get_by_role("article", name="Human review")).to_have_count(0)
    expect(page.locator("#layer-workflow > summary")).to_contain_text("1 of 5 in place · 4 missing")
    expect(page.get_by_role("link", name="Missing only (14)")).to_be_visible()
