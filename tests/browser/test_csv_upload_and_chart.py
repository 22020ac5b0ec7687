"""A product manager uploads measurements as CSV, replays the file, fixes a bad one and reads the trend chart."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from kpis import services
from kpis.models import IngestBatch, Measurement
from tests.browser.conftest import assert_accessible, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GOOD_ROWS = """kpi,timestamp,value,source
{key},2026-10-05T09:00:00+00:00,10.5,helpdesk-export
{key},2026-10-12T09:00:00+00:00,9.8,helpdesk-export
{key},2026-10-12T09:00:00Z,9.1,qa-sampling
"""
# Line 3 has no UTC offset; line 4 names a KPI that does not exist.
BAD_ROWS = """kpi,timestamp,value,source
{key},2026-10-19T09:00:00+00:00,9.0,helpdesk-export
{key},2026-10-19 09:00:00,8.9,qa-sampling
{slug}.no-such-kpi,2026-10-19T09:00:00+00:00,1,helpdesk-export
"""


@pytest.fixture
def kpi(initiative, alice):
    """A guardrail with baseline, target and bound, so every reference line shows on the chart."""
    driver = services.add_driver(initiative.pk, acting_user=alice, name="Faster handling and resolution")
    return services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=driver,
        key=f"{initiative.slug}.escalation-rate",
        name="Escalation rate",
        unit="%",
        kind="guardrail",
        direction="decrease",
        category="outcome",
        baseline_value=11,
        baseline_date=date(2026, 9, 1),
        target_value=8,
        target_date=date(2026, 12, 1),
        guardrail_bound=12,
        cadence="weekly",
        owner=alice,
    )


def _upload(page, path) -> None:
    page.get_by_label("CSV file").set_input_files(path)
    page.get_by_role("button", name="Upload").click()


def test_pm_uploads_a_csv_replays_it_and_sees_the_trend(page, login, screenshot, tmp_path, initiative, kpi, alice):
    good = tmp_path / "good.csv"
    good.write_text(GOOD_ROWS.format(key=kpi.key))
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_ROWS.format(key=kpi.key, slug=initiative.slug))
    login(alice)

    # 1. From the outcome tree to the upload page; three good rows from two sources are created.
    page.goto(initiative.get_absolute_url())
    assert_accessible(page)
    open_tab(page, "Outcome tree & KPIs")
    page.get_by_role("link", name="Upload measurements (CSV)").click()
    expect(page.get_by_role("heading", name="Upload measurements")).to_be_visible()
    _upload(page, good)
    expect(page.get_by_role("status")).to_contain_text("3 rows received: 3 created, 0 updated, 0 unchanged.")
    assert sorted(Measurement.objects.filter(kpi=kpi).values_list("source", "value")) == [
        ("helpdesk-export", 9.8),
        ("helpdesk-export", 10.5),
        ("qa-sampling", 9.1),
    ]
    batch = IngestBatch.objects.get()
    assert (batch.user, batch.channel, batch.created) == (alice, IngestBatch.Channel.CSV, 3)

    # 2. The same file again changes nothing.
    _upload(page, good)
    expect(page.get_by_role("status")).to_contain_text("3 rows received: 0 created, 0 updated, 3 unchanged.")
    assert Measurement.objects.count() == 3

    # 3. A file with two bad lines lists both, with their line numbers, and writes nothing.
    _upload(page, bad)
    expect(page.get_by_role("alert")).to_contain_text("2 of 3 measurements are invalid; nothing was written.")
    lines = page.locator("#line-errors")
    expect(lines.get_by_role("heading", name="Lines to fix")).to_be_visible()
    rows = lines.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_role("cell")).to_have_text(["3", "timestamp", re.compile("needs a UTC offset")])
    expect(rows.nth(1).get_by_role("cell")).to_have_text(["4", "kpi", f"Unknown KPI “{initiative.slug}.no-such-kpi”."])
    expect(page.get_by_role("status")).to_have_count(0)
    assert Measurement.objects.count() == 3
    assert IngestBatch.objects.count() == 2

    # 4. The KPI page draws the trend with both sources and the reference lines, and lists the points.
    page.goto(initiative.get_absolute_url())
    assert_accessible(page)
    open_tab(page, "Outcome tree & KPIs")
    page.get_by_role("link", name="Escalation rate", exact=True).click()
    expect(page.get_by_role("heading", name="Escalation rate")).to_be_visible()
    chart = page.locator("#kpi-trend-chart")
    expect(chart.locator(".main-svg").first).to_be_attached()
    expect(chart.locator(".legendtext")).to_have_text(
        ["helpdesk-export", "qa-sampling", "Baseline", "Target path", "Guardrail bound"]
    )
    expect(chart.locator(".scatterlayer .trace")).to_have_count(5)
    latest = page.locator("section").filter(has=page.get_by_role("heading", name="Latest measurements"))
    expect(latest.locator("tbody tr")).to_have_count(3)
    expect(latest.locator("tbody tr").first).to_contain_text("2026-10-12 09:00")
    expect(latest).to_contain_text("qa-sampling")
    assert_accessible(page)
    screenshot("kpi-page")
