"""A portfolio leader explores: a heatmap cell, then a bubble, narrows the table; a column sorts it; the
totals row sums it; the page stays within a 768 px wide screen."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from initiatives.models import Initiative, Stage
from kpis.models import Scorecard
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# title, business unit, risk tier, stage, status, health, realised and modelled value a week, monthly cost
PORTFOLIO = [
    ("Support triage assistant", "Customer Support", "medium", Stage.MEASURE_IMPACT, "active", "red", 2400, 3600, 90),
    ("Invoice matching", "Finance", "low", Stage.MEASURE_IMPACT, "active", "red", 720, 1800, 40),
    ("Contract clause review", "Legal", "high", Stage.MEASURE_IMPACT, "killed", "red", 300, 1200, 60),
    ("Quote drafting", "Sales", "medium", Stage.STANDARDIZE_REUSE, "active", "green", 1500, 1500, 30),
    ("Churn early warning", "Customer Success", "high", Stage.DEFINE_OUTCOME, "active", "amber", None, None, None),
]


@pytest.fixture
def portfolio(make_initiative):
    for title, unit, tier, stage, status, health, realised, modelled, cost in PORTFOLIO:
        initiative = make_initiative(title, risk_tier=tier)
        Initiative.objects.filter(pk=initiative.pk).update(
            business_unit=unit, stage=stage, status=status, stage_entered_at=timezone.now() - timedelta(days=10)
        )
        Scorecard.objects.create(
            initiative=initiative,
            computed_at=timezone.now(),
            stage=stage,
            status=status,
            health=health,
            confidence="fresh",
            realised_value=realised,
            modelled_value=modelled,
            monthly_cost=cost,
        )


def _titles(page) -> list[str]:
    return page.locator("#initiatives tbody tr td:first-child").all_inner_texts()


def _click_heatmap_cell(page, stage: str, column: str) -> None:
    """Click the middle of a heatmap cell, where Plotly draws it (the heatmap is one image)."""
    point = page.evaluate(
        """([stage, column]) => {
            const chart = document.getElementById("portfolio-heatmap");
            const layout = chart._fullLayout, box = chart.getBoundingClientRect();
            return {x: box.left + layout._size.l + layout.xaxis.d2p(column),
                    y: box.top + layout._size.t + layout.yaxis.d2p(stage)};
        }""",
        [stage, column],
    )
    page.mouse.move(point["x"], point["y"])
    page.mouse.click(point["x"], point["y"])


def test_leader_drills_down_from_the_charts_and_sorts_the_table(page, login, screenshot, portfolio, lee):
    login(lee)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/portfolio/")
    assert_accessible(page)
    expect(page.locator("#portfolio-heatmap .main-svg").first).to_be_attached()
    rows = page.locator("#initiatives tbody tr")
    expect(rows).to_have_count(len(PORTFOLIO))

    # 1. The totals row sums value and cost, in the currency.
    totals = page.locator("#initiatives tfoot tr.totals")
    expect(totals).to_contain_text("Total of 5 initiatives")
    expect(totals).to_contain_text("EUR 4,920")  # realised a week
    expect(totals).to_contain_text("EUR 8,100")  # modelled a week
    expect(totals).to_contain_text("EUR 220")  # monthly cost
    assert_accessible(page)
    screenshot("portfolio-explore-1280")

    # 2. A click on the Measure impact × Red cell lists the two red ones not killed there.
    _click_heatmap_cell(page, "Measure impact", "Red")
    expect(page).to_have_url(re.compile(r"stage=measure-impact.*health=red"))
    expect(rows).to_have_count(2)
    assert sorted(_titles(page)) == ["Invoice matching", "Support triage assistant"]
    expect(page.get_by_label("Stage", exact=True)).to_have_value("measure-impact")
    expect(page.locator("#initiatives tfoot")).to_contain_text("Total of 2 initiatives")

    # 3. The killed one is a cell apart; without the chart, the counts table links to it too.
    page.goto("/portfolio/")
    assert_accessible(page)
    page.get_by_text("The counts as a table").click()
    page.locator(".heatmap-table tbody tr", has_text="Measure impact").get_by_role("link", name="1").click()
    expect(page).to_have_url(re.compile(r"status=killed"))
    assert _titles(page) == ["Contract clause review"]

    # 4. Sorting: the largest realised value first, then reversed; the heading says which way.
    page.goto("/portfolio/")
    assert_accessible(page)
    heading = page.get_by_role("columnheader", name=re.compile("Realised a week"))
    heading.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=-realised_value"))
    expect(heading).to_have_attribute("aria-sort", "descending")
    assert _titles(page)[:3] == ["Support triage assistant", "Quote drafting", "Invoice matching"]
    heading.get_by_role("link").click()
    expect(heading).to_have_attribute("aria-sort", "ascending")
    assert _titles(page)[:2] == ["Contract clause review", "Invoice matching"]

    # 5. A bubble (the only green one: Quote drafting, medium risk) lists its risk tier and health.
    page.goto("/portfolio/")
    assert_accessible(page)
    box = page.locator("#portfolio-value-risk .trace").first.locator(".point").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"health=green&risk_tier=medium&sort=-realised_value"))
    expect(rows).to_have_count(1)
    assert _titles(page) == ["Quote drafting"]


def test_the_portfolio_fits_a_768_px_screen(page, login, screenshot, portfolio, lee):
    login(lee)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto("/portfolio/")
    assert_accessible(page)
    expect(page.locator("#portfolio-value-risk .main-svg").first).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The table scrolls in its own box, the initiative's name staying in view.
    scroller = page.locator("#initiatives .table-scroll")
    scroller.scroll_into_view_if_needed()
    assert scroller.evaluate("box => box.scrollWidth > box.clientWidth")
    scroller.evaluate("box => box.scrollBy(400, 0)")
    name = scroller.get_by_role("link", name="Invoice matching")
    assert name.evaluate("link => link.getBoundingClientRect().left") >= scroller.evaluate(
        "box => box.getBoundingClientRect().left"
    )
    expect(scroller.locator("tfoot")).to_contain_text("EUR 4,920")
    assert_accessible(page)
    screenshot("portfolio-explore-768")
