"""Forms people finish: a failed save opens at an error summary that leads to each field, and a long
text counts its characters against the limit every path enforces."""

import re

import pytest
from playwright.sync_api import expect

from governance.models import Control, Layer
from initiatives import services
from initiatives.models import Role
from kpis import services as kpi_services
from kpis.models import Driver
from tests.browser.conftest import SHOTS, assert_accessible
from tests.lifecycle import give_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PLAN_ORDER = "The 90-day plan dates must run in order: day 1, day 30, day 60, day 90."
AT_LEAST_ZERO = "Ensure this value is greater than or equal to 0."


def in_view(page, name: str) -> None:
    """What the person sees without scrolling, unlike the `screenshot` fixture's whole page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_failed_charter_save_opens_at_a_summary_that_leads_to_each_field(page, login, make_initiative, alice):
    initiative = make_initiative(complete=False)
    login(alice)
    page.goto(f"/initiatives/{initiative.slug}/charter/")
    assert_accessible(page)
    expect(page.locator("#signoff-legend")).to_contain_text("required for sign-off")
    expect(page.get_by_label("Outcome statement")).to_have_accessible_name("Outcome statement required for sign-off")
    expect(page.get_by_label("Scope")).to_have_accessible_name("Scope")  # not needed for sign-off

    page.get_by_label("Day 1", exact=True).fill("2026-06-01")
    page.get_by_label("Day 90").fill("2026-05-01")
    page.get_by_label("Cost per 1,000 inferences").fill("-0.5")
    page.get_by_role("button", name="Save charter").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary.get_by_role("heading")).to_have_text("Not saved: 2 things to fix")
    # A screen reader hears each invalid field as invalid, with its error (Django's aria-invalid and
    # aria-describedby, pointing at the error _field.html renders).
    cost = page.get_by_label("Cost per 1,000 inferences")
    expect(cost).to_have_attribute("aria-invalid", "true")
    expect(cost).to_have_accessible_description(re.compile(re.escape(AT_LEAST_ZERO)))
    expect(page.get_by_label("Day 1", exact=True)).not_to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    expect(summary.get_by_role("link")).to_have_text(
        [f"Day 90: launched, trained and standardized: {PLAN_ORDER}", f"Cost per 1,000 inferences: {AT_LEAST_ZERO}"]
    )
    in_view(page, "charter-error-summary")

    summary.get_by_role("link", name=f"Cost per 1,000 inferences: {AT_LEAST_ZERO}").click()
    expect(cost).to_be_focused()
    expect(cost).to_be_in_viewport()
    expect(cost).to_have_value("-0.5")  # what was typed is still there to correct
    in_view(page, "charter-error-field")

    initiative.charter.refresh_from_db()
    assert (initiative.charter.plan_start_on, initiative.charter.cost_per_1000_inferences) == (None, None)


def test_a_long_text_counts_its_characters_and_the_save_refuses_one_too_long(page, login, make_initiative, alice):
    initiative = make_initiative(complete=False)
    login(alice)
    page.goto(f"/initiatives/{initiative.slug}/charter/")
    assert_accessible(page)
    outcome = page.get_by_label("Outcome statement")
    counter = page.locator("#id_outcome_statement_counter")
    expect(counter).to_have_text("Up to 1,000 characters")
    help_text = initiative.charter._meta.get_field("outcome_statement").help_text
    expect(outcome).to_have_accessible_description(f"{help_text} Up to 1,000 characters")

    outcome.press_sequentially("Handling time falls by 20 %")
    expect(counter).to_have_text("973 of 1,000 characters left")
    in_view(page, "charter-counter")

    outcome.fill("x" * 1_010)  # a paste is not cut short: the text stays, and the counter says it is over
    expect(counter).to_have_text("10 characters over the limit of 1,000")
    expect(counter).to_have_class("counter over")
    page.get_by_role("button", name="Save charter").click()

    expect(page.locator(".error-summary")).to_be_focused()
    too_long = "Outcome statement: Ensure this value has at most 1000 characters (it has 1010)."
    page.get_by_role("link", name=too_long).click()
    expect(page.get_by_label("Outcome statement")).to_be_focused()
    expect(page.locator("#id_outcome_statement_counter")).to_have_text("10 characters over the limit of 1,000")
    in_view(page, "charter-too-long")
    initiative.charter.refresh_from_db()
    assert initiative.charter.outcome_statement == ""


def test_a_failed_control_save_far_down_the_foundation_page_opens_at_that_control(page, login, initiative, alice, rita):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    control = Control.objects.filter(is_active=True, layer=Layer.ADOPTION).order_by("position", "key").last()
    login(rita)
    page.goto(f"/initiatives/{initiative.slug}/foundation/")
    assert_accessible(page)

    form = page.locator(f"#control-{control.key}")
    form.get_by_label("Status").select_option(label="In place")
    form.get_by_role("button", name="Save control").click()

    summary = page.locator(f"#control-{control.key} .error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(page.locator(".error-summary")).to_have_count(1)
    in_view(page, "foundation-control-summary")
    summary.get_by_role("link").click()
    expect(page.locator(f"#control-{control.key}").get_by_label("Evidence")).to_be_focused()
    in_view(page, "foundation-control-error")


def test_a_long_unbroken_text_wraps_inside_its_card(page, login, make_initiative, alice):
    initiative = make_initiative()
    services.update_charter(initiative.pk, acting_user=alice, outcome_statement="https://example.com/" + "x" * 980)
    login(alice)
    page.goto(f"/initiatives/{initiative.slug}/")
    assert_accessible(page)

    page.get_by_text("https://example.com/xxx").first.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    in_view(page, "initiative-long-text")


def test_a_refused_panel_form_comes_back_on_its_own_page_with_what_was_typed(page, login, initiative, alice):
    kpi_services.add_driver(initiative.pk, acting_user=alice, name="Faster handling")
    login(alice)
    page.goto(f"/initiatives/{initiative.slug}/#outcome-tree")
    assert_accessible(page)

    page.get_by_role("textbox", name="Driver name").fill("faster handling")
    page.get_by_role("button", name="Add driver").click()

    expect(page.get_by_role("heading", name="Add a driver")).to_be_visible()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("This tree already has a driver named “faster handling”.")
    expect(page.get_by_role("textbox", name="Driver name")).to_have_value("faster handling")
    in_view(page, "driver-form-page")

    page.get_by_role("textbox", name="Driver name").fill("Fewer escalations")
    page.get_by_role("button", name="Add driver").click()
    expect(page.get_by_role("status")).to_contain_text("Driver “Fewer escalations” added.")
    assert list(Driver.objects.values_list("name", flat=True)) == ["Faster handling", "Fewer escalations"]
