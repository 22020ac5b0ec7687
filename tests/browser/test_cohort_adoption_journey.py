"""Cohort adoption in the browser: the PM states the target cohort on the charter (a bad size is refused by
name), starts the adoption-by-cohort KPIs from their template and reads the mix chart once the pipeline
pushed a few weeks; the leader reads the same mix and the criterion in the scale-out decision pack."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance.services import request_review
from initiatives.models import Role
from kpis.ingest import record_measurements
from tests.browser.conftest import assert_accessible, open_tab
from tests.lifecycle import give_role, pass_charter_signoff, pass_gate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WEEKS = [(10, 25, 65), (22, 30, 48), (31, 29, 40)]  # power, occasional, non-adopters: 60 % adopters at the end


def push_weeks(initiative, user) -> None:
    """What the pipeline sends each Monday: the three shares of the target cohort."""
    start = timezone.now() - timedelta(weeks=len(WEEKS))
    items = [
        {"kpi": f"{initiative.slug}.{suffix}", "timestamp": (start + timedelta(weeks=n)).isoformat(), "value": value}
        for n, shares in enumerate(WEEKS)
        for suffix, value in zip(("power-users", "occasional-users", "non-adopters"), shares, strict=True)
    ]
    record_measurements(items, acting_user=user)


def test_pm_states_the_cohort_reads_the_mix_and_the_leader_sees_it_in_the_pack(
    page, login, screenshot, initiative, alice, sam, rita, dana, lee
):
    login(alice)

    # 1. The charter: a negative cohort size is refused by name; then 120 people and a 70 % target.
    page.goto(f"/initiatives/{initiative.slug}/charter/")
    page.get_by_label("Target cohort size (people)").fill("-3")
    page.get_by_label("Adoption target (% of the target cohort)").fill("70")
    page.get_by_role("button", name="Save charter").click()
    expect(page.get_by_role("alert")).to_contain_text("Target cohort size (people)")
    expect(page.locator("#charter-form")).to_contain_text("Ensure this value is greater than or equal to 0.")
    assert_accessible(page)
    page.get_by_label("Target cohort size (people)").fill("120")
    page.get_by_role("button", name="Save charter").click()
    expect(page.locator("#charter")).to_contain_text("120 people; adoption target 70 % (power and occasional users)")

    # 2. The outcome tree: the adoption-by-cohort KPIs from their template, then a few weeks pushed.
    open_tab(page, "Outcome tree & KPIs")
    page.get_by_label("Start from a template").select_option(
        label="Adoption by cohort: power, occasional and non-adopters"
    )
    page.get_by_role("button", name="Apply template").click()
    expect(page.get_by_role("link", name="Power users in target cohort", exact=True)).to_be_visible()
    cohort = page.locator("#cohort-adoption")
    expect(cohort).to_contain_text("No cohort share measured in the last year yet")
    push_weeks(initiative, alice)
    page.reload()

    cohort = page.locator("#cohort-adoption")
    chart = page.get_by_role("img", name="Cohort mix over time")
    expect(chart.locator(".main-svg").first).to_be_attached()
    expect(chart.locator(".legendtext")).to_have_text(
        ["Power users", "Occasional users", "Non-adopters", "Adoption target (70 %)"]
    )
    expect(chart.locator(".barlayer .trace")).to_have_count(3)
    expect(cohort).to_contain_text("Adopters (power and occasional users): 60 %, about 72 of the 120 people")
    expect(cohort).to_contain_text("adoption target 70 %, not met yet.")
    cohort.get_by_text("Show data").click()
    rows = cohort.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.last.get_by_role("cell")).to_have_text(["31", "29", "40", "60", "72"])
    assert_accessible(page)
    screenshot("cohort-mix")

    # 3. Launched, the scale-out review requested; the leader reads the mix beside the failing criterion.
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    pass_gate(initiative, requester=alice, approvers=[rita, dana])
    review = request_review(initiative.pk, acting_user=alice, override_reason="Adoption is the open question.")
    login(lee)
    page.goto(f"/approvals/{review.pk}/")

    criterion = page.locator('[data-criterion="cohort-adoption"]')
    expect(criterion).to_contain_text("Adoption in the target cohort at or above its target")
    expect(criterion).to_contain_text("60 % of the 120-person target cohort use it")
    expect(page.get_by_role("img", name="Cohort mix over time").locator(".main-svg").first).to_be_attached()
    expect(page.locator("#cohort-adoption")).to_contain_text("adoption target 70 %, not met yet.")
    assert_accessible(page)
    screenshot("cohort-mix-pack")
