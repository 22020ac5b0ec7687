"""WCAG 2.2 AA on every main page of the demo portfolio, as its leader and its product manager see them,
and a text alternative for every chart: axe-core finds no serious or critical violation, and each chart
is an image with a name, a description and its data as a table."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from governance.models import Asset, GateReview
from initiatives.demo.people import DEMO_PASSWORD
from initiatives.tabs import TABS
from kpis.models import Kpi
from tests.browser.conftest import assert_accessible, log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

INITIATIVE = "support-triage-assistant"  # measured, with a tree of charted KPIs, a foundation and assets
SCALE_OUT = "quote-drafting-copilot"  # its scale-out review waits for the leader: the pack has evidence charts


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    return get_user_model().objects.in_bulk(field_name="username")


def log_in(page, username: str) -> None:
    log_in_as(page, username, DEMO_PASSWORD)


STRUCTURE = """() => ({
    lang: document.documentElement.lang,
    landmarks: ['body > header', 'main', 'body > footer'].map(s => document.querySelectorAll(s).length),
    levels: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1])),
})"""


def visit(page, path: str, *, status: int = 200) -> None:
    """Open the page, check it with axe-core, and check what axe leaves to best practice: the page's
    language, one banner, main and footer, one h1 and headings that never skip a level on the way down."""
    response = page.goto(path)
    assert response.status == status, f"{path} answered {response.status}"
    assert_accessible(page)
    structure = page.evaluate(STRUCTURE)
    assert structure["lang"] == "en", path
    banner, main, footer = structure["landmarks"]
    assert (banner, main, footer) == (1, 1, 1), path
    levels = structure["levels"]
    assert levels.count(1) == 1 and levels[0] == 1, f"{path}: headings {levels}"
    skips = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert not skips, f"{path}: a heading skips a level {skips} in {levels}"


def test_every_main_page_has_no_serious_axe_violation(page, demo):
    review = GateReview.objects.get(initiative__slug=SCALE_OUT, status=GateReview.Status.OPEN)
    asset = Asset.objects.order_by("slug").first()
    kpi = Kpi.objects.filter(initiative__slug=INITIATIVE, kind=Kpi.Kind.LAGGING).first()
    initiative = f"/initiatives/{INITIATIVE}/"

    visit(page, "/accounts/login/")
    log_in(page, "leader")
    for path in [
        "/",
        "/portfolio/",
        "/initiatives/",
        *(f"{initiative}?tab={key}" for key in TABS),
        "/initiatives/case-routing-classifier/?tab=assets",  # offers a newer version of an adopted asset
        f"{initiative}charter/",
        f"{initiative}foundation/",
        f"{initiative}control-model/",
        "/approvals/",
        f"/approvals/{review.pk}/",
        f"/approvals/{review.pk}/evidence/",
        "/library/",
        f"/library/{asset.slug}/",
        "/accounts/tokens/",
        "/notifications/",
        kpi.get_absolute_url(),
    ]:
        visit(page, path)
    visit(page, "/no-such-page/", status=404)

    # The product manager sees the forms: a new initiative, the charter, the editable tree and the library's.
    page.context.clear_cookies()
    log_in(page, "pm")
    for path in [
        "/initiatives/new/",
        f"{initiative}edit/",
        f"{initiative}charter/",
        f"{initiative}?tab=tree",
        f"{initiative}kpis/new/",
        f"{kpi.get_absolute_url()}edit/",
        f"{initiative}measurements/upload/",
        "/library/new/",
        f"/library/{asset.slug}/diff/",
    ]:
        visit(page, path)


def test_every_chart_has_a_name_a_description_and_its_data_as_a_table(page, demo):
    review = GateReview.objects.get(initiative__slug=SCALE_OUT, status=GateReview.Status.OPEN)
    log_in(page, "leader")

    # 1. The portfolio: the heatmap's counts, and each plotted initiative's value, risk tier and health.
    page.goto("/portfolio/")
    heatmap = page.get_by_role("img", name="Stage × health")
    expect(heatmap).to_have_accessible_description(
        "How many initiatives are at each stage (rows) with each health (columns), killed ones apart; "
        "the counts follow as a table."
    )
    page.get_by_text("The counts as a table").click()
    expect(page.locator(".heatmap-table tbody tr")).to_have_count(5)
    value_risk = page.get_by_role("img", name="Value versus risk")
    expect(value_risk).to_have_accessible_description(
        "Realised value per week of each measured initiative against its risk tier, coloured by health; "
        "the points follow as a table under Show data."
    )
    table = page.locator(".value-risk-table")
    table.get_by_text("Show data").click()
    plotted = page.evaluate(
        "() => document.getElementById('portfolio-value-risk').data.reduce((n, trace) => n + trace.x.length, 0)"
    )
    assert plotted > 0
    expect(table.locator("tbody tr")).to_have_count(plotted)  # one row per point the chart draws
    expect(table.get_by_role("row", name="Support triage assistant")).to_contain_text("High")

    # 2. The outcome tree: each KPI's trend says its latest value, baseline and target, and shows them as a table.
    page.goto(f"/initiatives/{INITIATIVE}/?tab=tree")
    charts = page.locator(".trend-grid [role=img]")
    assert charts.count() >= 2
    for n in range(charts.count()):
        expect(charts.nth(n)).to_have_accessible_description(
            # e.g. "Trend of Average handling time in minutes: 158 points from ... Latest from api: 9.05 on ..."
            re.compile(r"^Trend of .+: \d+ points? from .+\. Latest.*: [\d.,-]+ on .+\.")
        )
    handling = page.get_by_role("img", name="Average handling time")
    expect(handling).to_have_accessible_description(re.compile(r"Baseline: 12 \(.+\)\. Target: 9\.6 "))
    figure = page.get_by_role("figure").filter(has=handling)
    figure.get_by_text("Show data").click()
    expect(figure.get_by_role("row", name="Baseline")).to_contain_text("12")
    expect(figure.get_by_role("row", name="Target")).to_contain_text("9.6")
    expect(figure.get_by_role("row").filter(has_text="Latest")).not_to_have_count(0)
    expect(figure.get_by_role("row", name="Guardrail bound")).to_be_visible()

    # The mix by cohort: described by its newest period in words, every period as a table.
    mix = page.get_by_role("img", name="Cohort mix over time")
    expect(mix).to_have_accessible_description(
        re.compile(r"^Latest period \(.+\): power users [\d.]+ %, .+ Adopters \(power and occasional users\): [\d.]+ %")
    )
    page.locator("#cohort-adoption").get_by_text("Show data").click()
    expect(page.locator("#cohort-adoption tbody tr")).not_to_have_count(0)

    # 3. The decision pack's evidence: a guardrail states its bound.
    page.goto(f"/approvals/{review.pk}/")
    evidence = page.locator("#evidence [role=img]")
    assert evidence.count() >= 2
    guardrail = page.locator("#evidence figure").filter(has_text="Guardrail").first
    expect(guardrail.locator("[role=img]")).to_have_accessible_description(re.compile(r"Guardrail bound: "))


def test_the_check_names_the_rule_the_element_and_the_page(page, live_server):
    page.goto("/accounts/login/")
    page.evaluate(
        "() => { const p = document.createElement('p'); p.id = 'faint'; p.textContent = 'Hard to read';"
        " p.style.color = '#ccc'; document.querySelector('main').append(p); }"
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    message = str(failure.value)
    assert "color-contrast (serious)" in message
    assert "#faint" in message
    assert f"{live_server.url}/accounts/login/" in message
