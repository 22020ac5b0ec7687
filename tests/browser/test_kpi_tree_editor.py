"""A product manager builds an initiative's outcome tree from a template and edits it in the browser."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from governance.models import AuditEvent
from kpis import services
from kpis.models import Driver, Kpi, Measurement
from opmodel.compat import UTC
from tests.browser.conftest import SHOTS, assert_accessible, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CRITERION = "At least one leading and one lagging KPI with baseline and target"
TREE_TAB = "Outcome tree & KPIs"
HANDLING = "Faster handling and resolution"


def _criterion(page):
    """The KPI criterion of the next gate, on the overview; leaves the page on the outcome tree's tab."""
    open_tab(page, "Overview")
    criterion = page.locator("#next-gate li").filter(has_text=CRITERION)
    verdict, text = criterion.locator(".verdict").inner_text(), criterion.inner_text()
    open_tab(page, TREE_TAB)
    return verdict, text


def _kpi_names(page, driver: str):
    return (
        page.locator("#outcome-tree .driver")
        .filter(has=page.get_by_role("heading", name=driver))
        .locator("tbody tr td:first-child a")
    )


def _fill_baseline_and_target(page, baseline: str, target: str) -> None:
    page.get_by_role("spinbutton", name="Baseline value", exact=True).fill(baseline)
    page.get_by_label("Baseline date", exact=True).fill("2026-01-05")
    page.get_by_role("spinbutton", name="Target value", exact=True).fill(target)
    page.get_by_label("Target date", exact=True).fill("2026-04-05")


def test_pm_builds_and_edits_the_outcome_tree(page, login, initiative, alice):
    login(alice)
    page.goto(initiative.get_absolute_url())
    assert_accessible(page)
    open_tab(page, TREE_TAB)
    tree = page.locator("#outcome-tree")
    expect(tree).to_contain_text("No outcome tree yet")

    # 1. Start from the "Support triage" template: its KPIs appear under their drivers.
    page.get_by_label("Start from a template").select_option(label="Support triage")
    page.get_by_role("button", name="Apply template").click()
    expect(page.get_by_role("status")).to_contain_text("Added 8 KPIs from the template.")
    expect(_kpi_names(page, HANDLING)).to_have_text(
        [
            "Average handling time",
            "First-response time",
            "Case routing accuracy",
            "Escalation rate",
            "Customer satisfaction (CSAT)",
        ]
    )
    expect(_kpi_names(page, "Agent adoption")).to_have_text(["Tickets answered with the assistant"])
    expect(_kpi_names(page, "Time returned to the business")).to_have_text(
        ["Time saved", "Time reallocated to higher-value work"]
    )
    assert Kpi.objects.filter(initiative=initiative).count() == 8
    # No baselines yet, so the charter's KPI criterion still fails and says why.
    verdict, text = _criterion(page)
    assert verdict == "Fail" and "Needs a leading and a lagging KPI with baseline and target" in text

    # 2. The objective is restated in the template's words.
    page.get_by_role("textbox", name="Objective", exact=True).fill("Reduce customer support handling time by 20 %")
    page.get_by_role("button", name="Save objective").click()
    expect(tree.locator(".objective")).to_have_text("Objective: Reduce customer support handling time by 20 %")
    initiative.objective.refresh_from_db()
    assert initiative.objective.statement == "Reduce customer support handling time by 20 %"

    # 3. A target above the baseline of a KPI that should decrease is refused next to the field.
    page.get_by_role("link", name="Edit Average handling time").click()
    expect(page.get_by_role("heading", name="Edit Average handling time")).to_be_visible()
    _fill_baseline_and_target(page, "12", "14")
    page.get_by_role("button", name="Save KPI").click()
    target_field = page.locator(".field").filter(has=page.get_by_role("spinbutton", name="Target value"))
    decrease = "This KPI should decrease, so its target must be below its baseline."
    expect(target_field.locator(".error")).to_have_text(decrease)
    expect(page.get_by_role("alert")).to_contain_text(f"Target value: {decrease}")  # the summary atop the form
    assert Kpi.objects.get(key=f"{initiative.slug}.handle-time").baseline_value is None

    page.get_by_role("spinbutton", name="Target value", exact=True).fill("9.6")
    page.get_by_role("button", name="Save KPI").click()
    expect(page.get_by_role("status")).to_contain_text("KPI “Average handling time” saved.")
    handle_time = Kpi.objects.get(key=f"{initiative.slug}.handle-time")
    assert (handle_time.baseline_value, handle_time.target_value) == (12, 9.6)
    assert (handle_time.baseline_date.isoformat(), handle_time.target_date.isoformat()) == ("2026-01-05", "2026-04-05")
    verdict, text = _criterion(page)
    assert verdict == "Fail" and "Needs a leading KPI" in text

    # 4. A leading KPI with baseline and target turns the criterion to Pass.
    page.get_by_role("link", name="Edit Tickets answered with the assistant").click()
    _fill_baseline_and_target(page, "10", "60")
    page.get_by_role("button", name="Save KPI").click()
    expect(page.get_by_role("status")).to_contain_text("KPI “Tickets answered with the assistant” saved.")
    verdict, text = _criterion(page)
    assert verdict == "Pass" and "1 leading and 1 lagging KPIs have a baseline and target." in text
    expect(tree.get_by_role("row").filter(has_text="Average handling time")).to_contain_text("12 → 9.6 minutes")

    # 5. Moving a KPI down swaps it with the next one, on the page and in the database.
    page.get_by_role("button", name="Move Average handling time down").click()
    expect(_kpi_names(page, HANDLING).first).to_have_text("First-response time")
    expect(_kpi_names(page, HANDLING).nth(1)).to_have_text("Average handling time")
    positions = dict(Kpi.objects.filter(driver__name=HANDLING).values_list("name", "position"))
    assert positions["First-response time"] == 1
    assert positions["Average handling time"] == 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    tree.screenshot(path=str(SHOTS / "outcome-tree.png"))

    # 6. A driver is added, then removed while it still has no KPIs.
    page.get_by_label("Driver name").fill("Knowledge base quality")
    page.get_by_role("button", name="Add driver").click()
    expect(page.get_by_role("status")).to_contain_text("Driver “Knowledge base quality” added.")
    expect(tree.get_by_role("heading", name="Knowledge base quality")).to_be_visible()
    assert Driver.objects.filter(objective__initiative=initiative, name="Knowledge base quality").exists()
    page.get_by_role("button", name="Remove driver Knowledge base quality").click()
    expect(tree.get_by_role("heading", name="Knowledge base quality")).to_have_count(0)
    assert not Driver.objects.filter(name="Knowledge base quality").exists()

    # 7. A KPI without data: the confirmation says so, and removing it works.
    page.get_by_role("link", name="Remove Case routing accuracy").click()
    expect(page.get_by_role("heading", name="Remove “Case routing accuracy”?")).to_be_visible()
    expect(page.get_by_text("It has no measurements.")).to_be_visible()
    page.get_by_role("button", name="Remove KPI").click()
    expect(page.get_by_role("status")).to_contain_text("KPI “Case routing accuracy” removed.")
    expect(tree.get_by_role("link", name="Case routing accuracy", exact=True)).to_have_count(0)
    assert not Kpi.objects.filter(key=f"{initiative.slug}.routing-accuracy").exists()

    # 8. A KPI with data asks first; "Keep it" keeps it, "Remove KPI" deletes it and its measurements.
    first_response = Kpi.objects.get(key=f"{initiative.slug}.first-response-time")
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    Measurement.objects.bulk_create(
        Measurement(kpi=first_response, timestamp=start + timedelta(weeks=n), value=30 - n, source="helpdesk")
        for n in range(3)
    )
    page.get_by_role("link", name="Remove First-response time").click()
    expect(page.locator(".warn")).to_contain_text("This KPI has 3 measurements.")
    page.get_by_role("link", name="Keep it").click()
    expect(tree.get_by_role("row").filter(has_text="First-response time").get_by_role("cell").nth(5)).to_have_text(
        re.compile(r"^3\s*last 19 Jan$")
    )
    assert Measurement.objects.filter(kpi=first_response).count() == 3

    page.get_by_role("link", name="Remove First-response time").click()
    page.get_by_role("button", name="Remove KPI").click()
    expect(page.get_by_role("status")).to_contain_text("KPI “First-response time” removed.")
    expect(tree.get_by_role("link", name="First-response time", exact=True)).to_have_count(0)
    assert not Kpi.objects.filter(pk=first_response.pk).exists()
    assert not Measurement.objects.exists()

    events = list(
        AuditEvent.objects.filter(initiative_id=initiative.pk, action__startswith="kpi_tree.").values_list(
            "action", flat=True
        )
    )
    assert events.count("kpi_tree.template_applied") == 1
    assert events.count("kpi_tree.objective_set") == 1
    assert events.count("kpi_tree.kpi_updated") == 2  # the refused save wrote nothing
    assert events.count("kpi_tree.kpi_moved") == 1
    assert events.count("kpi_tree.driver_added") == 1
    assert events.count("kpi_tree.driver_removed") == 1
    assert events.count("kpi_tree.kpi_removed") == 2
    removed = AuditEvent.objects.get(action="kpi_tree.kpi_removed", object_id=str(first_response.pk))
    assert removed.before["measurements"] == 3


def test_outsider_gets_not_found_for_the_initiative_and_its_kpis(page, login, initiative, alice, charlie):
    driver = services.add_driver(initiative.pk, acting_user=alice, name=HANDLING)
    kpi = services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=driver,
        key=f"{initiative.slug}.handle-time",
        name="Average handling time",
        unit="minutes",
        kind="lagging",
        direction="decrease",
    )
    login(charlie)

    urls = [
        initiative.get_absolute_url(),
        kpi.get_absolute_url(),
        f"/kpis/{kpi.key}/edit/",
        f"/initiatives/{initiative.slug}/measurements/upload/",
    ]
    for url in urls:
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_text("Average handling time")).to_have_count(0)
