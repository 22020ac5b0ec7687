"""A PM writes the after-action review of a launched initiative: the form refuses a bad save naming each field,
the saved review shows on the Outcome tree tab, and a leader reads it in the scale-out decision pack; an
enablement lead records the reuse review's outcome on the Assets tab."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import AuditEvent
from initiatives.models import Initiative, Role, Stage
from kpis.models import AfterActionReview
from tests.browser.conftest import assert_accessible, open_tab
from tests.lifecycle import give_role, request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def launched(initiative, kpi):
    Initiative.objects.filter(pk=initiative.pk).update(stage=Stage.MEASURE_IMPACT)
    initiative.refresh_from_db()
    return initiative


def test_a_pm_writes_the_after_action_review_and_a_leader_reads_it(page, login, screenshot, launched, kpi, alice, lee):
    login(alice)
    page.goto(launched.get_absolute_url())
    open_tab(page, "Outcome tree & KPIs")
    panel = page.locator("#after-action-review")
    expect(panel).to_contain_text("None yet.")
    panel.get_by_role("link", name="Write the after-action review").click()
    expect(page.get_by_role("heading", name="After-action review")).to_be_visible()
    assert_accessible(page)

    # 1. A date to come, no answer to the second question and no KPI: refused, each named, nothing stored.
    page.get_by_label("Held on").fill((timezone.localdate() + timedelta(days=3)).isoformat())
    page.get_by_label("What work did AI remove?").fill("Agents no longer tag and route every ticket by hand.")
    page.get_by_label("What measurable result followed?").fill("Handling time down from 12 to 9.5 minutes.")
    page.get_by_role("button", name="Save after-action review").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("What higher-value work replaced it?: This field is required.")
    expect(summary).to_contain_text("Held on: Record the review once held: choose today or an earlier day.")
    expect(summary).to_contain_text("KPIs that show the result: Link at least one KPI that shows the result.")
    screenshot("after-action-review-errors")
    assert_accessible(page)
    assert not AfterActionReview.objects.exists()

    # 2. Fixed: saved, audited, and shown on the tree tab with its KPI.
    page.get_by_label("Held on").fill(timezone.localdate().isoformat())
    page.get_by_label("What higher-value work replaced it?").fill("They call back customers who wrote twice.")
    page.get_by_label(f"{kpi.name} (lagging, minutes)").check()
    page.get_by_role("button", name="Save after-action review").click()
    expect(page.get_by_role("status")).to_contain_text("After-action review saved.")
    panel = page.locator("#after-action-review")
    expect(panel).to_contain_text("They call back customers who wrote twice.")
    expect(panel.get_by_role("link", name=kpi.name)).to_be_visible()
    assert_accessible(page)
    screenshot("after-action-review-tree-tab")
    assert AuditEvent.objects.filter(action="after_action_review.saved").count() == 1

    # 3. The scale-out decision pack shows it to a leader.
    review = request(launched, alice)
    page.context.clear_cookies()
    login(lee)
    page.goto(f"/approvals/{review.pk}/")
    pack = page.locator("#after-action-review")
    expect(pack).to_contain_text("Agents no longer tag and route every ticket by hand.")
    expect(pack.get_by_role("link", name=kpi.name)).to_be_visible()
    assert_accessible(page)


def test_enablement_records_the_reuse_review_outcome(page, login, launched, alice, dana):
    give_role(launched, Role.ENABLEMENT, dana, by=alice)
    login(dana)
    page.goto(launched.get_absolute_url())
    open_tab(page, "Assets")
    section = page.locator("#reuse-review")
    expect(section).to_contain_text("Not held yet")

    section.get_by_label("Reuse review held on").fill(timezone.localdate().isoformat())
    section.get_by_role("button", name="Record outcome").click()
    expect(page.locator(".error-summary")).to_contain_text("Name the adjacent teams adopting it")
    assert_accessible(page)
    page.get_by_label("Adjacent teams adopting").fill("IT helpdesk (40 agents) from next quarter.")
    page.get_by_label("Changes needed").fill("None: it serves as it is.")
    page.get_by_role("button", name="Record outcome").click()

    expect(page.get_by_role("status")).to_contain_text("Reuse review outcome recorded.")
    expect(page.locator("#reuse-review")).to_contain_text("IT helpdesk (40 agents) from next quarter.")
    assert_accessible(page)
