"""A product manager publishes the workflow and decides, on the form, what everyone will read about it."""

import pytest
from playwright.sync_api import expect

from governance.models import Asset
from tests.browser.conftest import assert_accessible, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROMPT = "Classify this ticket:\n{{ticket_text}}\nAnswer with one of {{categories}}.\n"
EVALUATION = "input,expected\nPrinter jammed,hardware\nCannot log in,access\n"
PLAYBOOK = "# Escalation playbook\n\nEscalate to tier 2 when confidence is below 0.7.\n"


def test_pm_sees_and_edits_the_public_listing_before_publishing(page, login, screenshot, initiative, alice):
    login(alice)
    page.goto(initiative.get_absolute_url())
    assert_accessible(page)
    open_tab(page, "Assets")
    page.get_by_role("link", name="Publish as asset").click()

    expect(page.get_by_text("Everyone signed in can read what you publish")).to_be_visible()
    name = page.get_by_label("Prompt template: public name")
    expect(name).to_have_value("Support triage assistant: prompt template")
    expect(page.get_by_label("Playbook: owning team")).to_have_value("Customer Support")
    expect(page.get_by_label("Evaluation set: tags")).to_have_value("Customer Support")
    assert_accessible(page)
    screenshot("publish-form")

    name.fill("Ticket triage prompt")
    page.get_by_label("Prompt template: tags").fill("triage, support")
    page.get_by_label("Prompt template: content").fill(PROMPT)
    page.get_by_label("Evaluation set: content").fill(EVALUATION)
    page.get_by_label("Playbook: content").fill(PLAYBOOK)
    page.get_by_role("button", name="Publish as asset").click()

    expect(page.get_by_text("Published to the library: Ticket triage prompt v1")).to_be_visible()
    prompt = Asset.objects.get(source_initiative=initiative, type="prompt-template")
    assert prompt.name == "Ticket triage prompt"
    assert sorted(prompt.tags.values_list("name", flat=True)) == ["support", "triage"]
