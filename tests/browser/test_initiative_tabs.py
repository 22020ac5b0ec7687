"""A product manager goes through the tabs of an initiative's page: each by a click, each at its own
address, the history a page at a time and of one kind; links to the sections of the old long page still land."""

import re
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from governance.library import services as library
from governance.models import Asset
from governance.panels import EVENTS_PER_PAGE
from initiatives import services
from initiatives.models import Role
from kpis import services as kpi_services
from kpis.models import Kpi, Measurement
from kpis.recompute import recompute_scorecards
from opmodel.compat import UTC
from tests.browser.conftest import assert_accessible, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _kpi(initiative, alice, driver, key, name, kind, **fields) -> Kpi:
    return kpi_services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=driver,
        key=f"{initiative.slug}.{key}",
        name=name,
        kind=kind,
        owner=alice,
        baseline_date=date(2026, 1, 5),
        target_date=date(2026, 4, 5),
        **fields,
    )


@pytest.fixture
def measured(initiative, alice, rita, lee):
    """Alice's initiative with two KPIs and their points, a pinned asset, a scorecard, and more audit
    events than one page of its history holds (charter edits, and roles)."""
    driver = kpi_services.add_driver(initiative.pk, acting_user=alice, name="Faster handling and resolution")
    handle = _kpi(
        initiative, alice, driver, "handle-time", "Average handling time", Kpi.Kind.LAGGING,
        unit="minutes", direction="decrease", baseline_value=12, target_value=9.6,
    )  # fmt: skip
    tickets = _kpi(
        initiative, alice, driver, "assisted", "Tickets answered with the assistant", Kpi.Kind.LEADING,
        unit="%", direction="increase", baseline_value=0, target_value=60,
    )  # fmt: skip
    daily = [(START + timedelta(days=d), 12 - d / 50) for d in range(150)]
    weekly = [(START + timedelta(weeks=w), 4 * w) for w in range(16)]
    Measurement.objects.bulk_create(
        [Measurement(kpi=handle, timestamp=at, value=value, source="api") for at, value in daily]
        + [Measurement(kpi=tickets, timestamp=at, value=value, source="api") for at, value in weekly]
    )
    services.assign_role(initiative.pk, acting_user=alice, role=Role.SECURITY_RISK, user=rita)
    for n in range(EVENTS_PER_PAGE):
        services.update_charter(initiative.pk, acting_user=alice, constraints=f"No customer data leaves the EU ({n})")
    asset = library.create_asset(
        acting_user=lee, name="Ticket triage prompt", type=Asset.Type.PROMPT_TEMPLATE, content="Classify {{ticket}}\n"
    )
    library.adopt_version(initiative.pk, acting_user=alice, asset=asset)
    recompute_scorecards(full=True)
    return initiative


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_pm_goes_through_every_tab(page, login, screenshot, measured, alice):
    url = measured.get_absolute_url()
    login(alice)

    # 1. The page's own address opens the overview: scorecard, readiness, next gate, roles, charter.
    page.goto(url)
    assert_accessible(page)
    tabs = page.get_by_role("navigation", name="Initiative sections")
    expect(tabs.locator('[aria-current="page"]')).to_have_text("Overview")
    expect(page.get_by_role("heading", name="Scorecard")).to_be_visible()
    expect(page.locator("#readiness")).to_contain_text("criteria met now")
    expect(page.locator("#next-gate")).to_contain_text("Next gate: Charter sign-off")
    expect(page.locator("#roles tr").filter(has_text="Security / risk")).to_contain_text("Rita")
    expect(page.locator("#audit, #outcome-tree, #assets")).to_have_count(0)
    assert _height(page) < 2 * 1000, "the overview should be a screen or two"
    assert_accessible(page)
    screenshot("initiative-tab-overview")

    # 2. The outcome tree, with a trend chart drawn for each KPI.
    open_tab(page, "Outcome tree & KPIs")
    expect(page).to_have_url(re.compile(r"\?tab=tree$"))
    tree = page.locator("#outcome-tree")
    expect(tree.get_by_role("heading", name="Faster handling and resolution")).to_be_visible()
    charts = tree.locator(".trend-grid figure")
    expect(charts).to_have_count(2)
    expect(charts.first.locator("figcaption")).to_have_text("Average handling time")
    for n in range(2):
        expect(charts.nth(n).locator(".main-svg").first).to_be_attached()
    expect(charts.first.locator(".legendtext")).to_contain_text(["api", "Baseline", "Target path"])
    assert_accessible(page)
    screenshot("initiative-tab-tree")

    # 3. The foundation's summary, with the way to its own page.
    open_tab(page, "Foundation")
    expect(page).to_have_url(re.compile(r"\?tab=foundation$"))
    expect(page.locator("#foundation table tbody tr")).to_have_count(5)
    expect(page.get_by_role("link", name="Foundation page")).to_be_visible()
    assert_accessible(page)
    screenshot("initiative-tab-foundation")

    # 4. The assets the initiative uses.
    open_tab(page, "Assets")
    expect(page).to_have_url(re.compile(r"\?tab=assets$"))
    expect(page.locator("#assets").get_by_role("link", name="Ticket triage prompt")).to_be_visible()
    assert_accessible(page)
    screenshot("initiative-tab-assets")

    # 5. History: gate reviews and the newest page of the audit trail, whose changes read as text.
    open_tab(page, "History")
    expect(page).to_have_url(re.compile(r"\?tab=history$"))
    audit = page.locator("#audit")
    expect(audit.locator("tbody > tr")).to_have_count(EVENTS_PER_PAGE)
    expect(audit.locator("tbody > tr").first).to_contain_text("Asset adopted")
    edit = audit.locator("tbody > tr").filter(has_text="Charter edited").first
    expect(edit).to_contain_text("Constraints")
    expect(edit).to_contain_text(f"No customer data leaves the EU ({EVENTS_PER_PAGE - 2})")
    field = edit.locator("ul.changes .changed-field")
    assert field.evaluate("e => getComputedStyle(e).display") == "inline"
    assert_accessible(page)
    screenshot("initiative-tab-history")


def test_pm_pages_and_filters_the_history(page, login, screenshot, measured, alice):
    login(alice)
    page.goto(measured.get_absolute_url() + "?tab=history")
    assert_accessible(page)
    audit = page.locator("#audit")
    expect(audit.locator(".pagination")).to_contain_text(re.compile(r"Page 1 of 2"))

    # 1. Older events: the second page ends with the initiative's creation.
    audit.get_by_role("link", name="Older →").click()
    expect(page).to_have_url(re.compile(r"\?tab=history&page=2#audit$"))
    expect(audit.locator(".pagination")).to_contain_text("Page 2 of 2")
    expect(audit.locator("tbody > tr").last).to_contain_text("Initiative created")
    expect(page.get_by_role("navigation", name="Initiative sections").locator('[aria-current="page"]')).to_have_text(
        "History"
    )

    # 2. Only the role events: the filter is kept in the address and the tab stays open.
    audit.get_by_label("Kind").select_option(label="Roles")
    audit.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"\?tab=history&kind=role#audit$"))
    actions = audit.locator("tbody > tr > td:nth-child(3)")
    expect(actions).to_have_count(3)  # Alice as PM on creation, Sam as sponsor, Rita as security / risk
    expect(actions).to_have_text(["Role assigned"] * 3)
    expect(audit).to_contain_text("3 events of this kind")
    expect(audit.locator(".pagination")).to_have_count(0)
    assert_accessible(page)
    screenshot("initiative-tab-history-roles")


def test_tabs_answer_the_keyboard_and_old_links_find_their_section(page, login, measured, alice):
    url = measured.get_absolute_url()
    login(alice)

    # A tab is a link: focused and entered, it opens.
    page.goto(url)
    assert_accessible(page)
    page.get_by_role("link", name="History", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?tab=history$"))

    # Links from before the page had tabs (#assets, #outcome-tree, #audit) open the tab that holds the section.
    for section, tab in [("assets", "assets"), ("outcome-tree", "tree"), ("audit", "history")]:
        page.goto(f"{url}#{section}")
        expect(page).to_have_url(re.compile(rf"\?tab={tab}#{section}$"))
        expect(page.locator(f"#{section}")).to_be_visible()
