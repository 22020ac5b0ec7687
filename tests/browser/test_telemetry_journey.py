"""The framework's diagnosis and telemetry trends in the demo, as a PM, a leader and a risk owner meet them:
the PM reads why adoption is the bottleneck and what the cost projection assumes, the leader narrows the
portfolio to a diagnosis, the risk owner sees the rising cost per request flagged."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from initiatives.demo.people import DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())


def log_in(page, username: str) -> None:
    log_in_as(page, username, DEMO_PASSWORD)


def test_the_pm_reads_the_diagnosis_and_the_projections_assumptions(page, demo, screenshot):
    log_in(page, "pm")
    page.goto("/initiatives/underwriting-decision-support/")

    diagnosis = page.locator("#diagnosis")
    expect(diagnosis).to_contain_text("Bottleneck: change management")
    expect(diagnosis.get_by_role("listitem")).to_have_count(3)
    expect(diagnosis).to_contain_text("Platform health strong: Average inference latency, Failure rate and")
    expect(diagnosis).to_contain_text("Adoption weak: Files pre-assessed by AI behind plan.")
    projection = page.locator("#cost-projection")
    expect(projection).to_contain_text("Measured (latest cost KPI point)")
    projection.get_by_text("Assumptions").click()
    expect(projection).to_contain_text("Cost per transaction: measured: the latest point of Cost per request")
    expect(projection).to_contain_text("transactions a month; at 2× volume")
    assert_accessible(page)
    screenshot("telemetry-pm-diagnosis")


def test_the_leader_narrows_the_portfolio_to_a_diagnosis(page, demo, screenshot):
    log_in(page, "leader")
    page.goto("/portfolio/")
    counts = page.get_by_role("table", name="Diagnoses")
    expect(counts).to_contain_text("Next optimization: architecture")
    assert_accessible(page)

    counts.get_by_role("link", name="1 initiative: Next optimization: architecture").click()
    titles = page.locator("#initiatives tbody tr td:first-child")
    expect(titles).to_have_count(1)
    expect(titles.first).to_contain_text("Coding assistant")

    page.get_by_label("Diagnosis").select_option(label="Bottleneck: change management")
    page.get_by_role("button", name="Filter").click()
    expect(titles).to_have_count(1)
    expect(titles.first).to_contain_text("Underwriting decision support")
    assert "diagnosis=change-management" in page.url
    assert_accessible(page)
    screenshot("telemetry-leader-portfolio")


def test_the_risk_owner_sees_the_rising_cost_per_request_flagged(page, demo):
    log_in(page, "risk")
    page.goto("/initiatives/coding-assistant/")
    flag = page.locator(".flag", has_text="Cost rising")
    expect(flag).to_contain_text("Cost per request up")
    expect(flag).to_contain_text("over its last 6 points (fitted trend)")
    expect(page.locator("#diagnosis")).to_contain_text("Next optimization: architecture")
    expect(page.locator("#diagnosis")).to_contain_text("Cost rising: Cost per request up")
    assert_accessible(page)
