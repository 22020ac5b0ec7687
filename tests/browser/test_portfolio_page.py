"""A portfolio leader reads the portfolio, narrows it to one stage and exports what the table shows."""

import csv
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from initiatives.models import Initiative, Stage
from kpis.models import Scorecard
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# title, business unit, risk tier, stage, health, hours reallocated a week, hours saved a week
PORTFOLIO = [
    ("Support triage assistant", "Customer Support", "medium", Stage.MEASURE_IMPACT, "green", 40, 60),
    ("Invoice matching", "Finance", "low", Stage.MEASURE_IMPACT, "amber", 12, 30),
    ("Contract clause review", "Legal", "high", Stage.SECURE_FOUNDATION, "red", None, 20),
    ("Quote drafting", "Sales", "medium", Stage.STANDARDIZE_REUSE, "green", 25, 25),
    ("Churn early warning", "Customer Success", "high", Stage.DEFINE_OUTCOME, None, None, None),
]


@pytest.fixture
def portfolio(make_initiative):
    for title, unit, tier, stage, health, reallocated, saved in PORTFOLIO:
        initiative = make_initiative(title, risk_tier=tier)
        Initiative.objects.filter(pk=initiative.pk).update(
            business_unit=unit, stage=stage, stage_entered_at=timezone.now() - timedelta(days=75)
        )
        if health:
            Scorecard.objects.create(
                initiative=initiative,
                computed_at=timezone.now(),
                stage=stage,
                status="active",
                health=health,
                confidence="fresh",
                readiness_met=2,
                readiness_total=4,
                time_reallocated_hours=reallocated,
                realised_value=reallocated * 60 if reallocated is not None else None,
                time_saved_hours=saved,
                modelled_value=saved * 60 if saved is not None else None,
            )


def _table(page) -> list[list[str]]:
    rows = page.locator("#initiatives tbody tr")
    return [[cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]


def test_leader_filters_the_portfolio_and_exports_the_table(page, login, screenshot, portfolio, lee):
    login(lee)

    # 1. The charts render and the table lists the whole portfolio.
    page.get_by_role("link", name="Portfolio").click()
    expect(page.get_by_role("heading", name="Portfolio", exact=True)).to_be_visible()
    expect(page.locator("#portfolio-heatmap .main-svg").first).to_be_attached()
    expect(page.locator("#portfolio-value-risk .main-svg").first).to_be_attached()
    expect(page.locator("#portfolio-heatmap .hm, #portfolio-heatmap image").first).to_be_attached()
    expect(page.locator("#portfolio-value-risk .point")).to_have_count(3)  # those with realised value
    rows = page.locator("#initiatives tbody tr")
    expect(rows).to_have_count(len(PORTFOLIO))
    expect(page.locator("#stuck")).to_contain_text("Support triage assistant")
    assert_accessible(page)
    screenshot("portfolio")

    # 2. Filtering by stage through the form narrows the table.
    page.get_by_label("Stage", exact=True).select_option(label="Measure impact")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"stage=measure-impact"))
    expect(rows).to_have_count(2)
    table = _table(page)
    assert [row[0] for row in table] == ["Invoice matching", "Support triage assistant"]
    assert {row[2] for row in table} == {"Measure impact"}

    # 3. The CSV export holds exactly the rows the table shows.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"portfolio-as-of-{timezone.localdate():%Y-%m-%d}.csv"
    with open(download.path(), newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0][:5] == ["Initiative", "Business unit", "Stage", "Status", "Health"]
    assert [line[:5] for line in lines[1:]] == [row[:5] for row in table]

    # 4. A future date in a shared link (the date input itself stops at today) is refused next to
    # its field, and the page falls back to today.
    page.goto("/portfolio/?stage=measure-impact&as_of=2999-01-01")
    assert_accessible(page)
    expect(page.get_by_role("alert")).to_have_text("The as-of date cannot be in the future. Showing today instead.")
    expect(rows).to_have_count(2)
    expect(page.get_by_label("As of")).to_have_value("2999-01-01")
    assert_accessible(page)
    screenshot("portfolio-bad-date")
