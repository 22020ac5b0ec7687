"""A risk owner records unsanctioned AI use, triages it to the sanctioned initiative, and sees it on the portfolio."""

import pytest
from playwright.sync_api import expect

from governance.models import AuditEvent, ShadowAiUse
from initiatives.models import Role
from tests.lifecycle import give_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_risk_owner_records_and_triages_shadow_ai(page, login, screenshot, initiative, alice, rita):
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    login(rita)

    # 1. The register, empty, from the top bar.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Shadow AI").click()
    expect(page.get_by_role("heading", name="Shadow AI register")).to_be_visible()
    expect(page.locator("#register")).to_contain_text("The register is empty.")

    # 2. Record what the proxy log showed.
    page.get_by_role("link", name="Record use").click()
    page.get_by_label("Tool").fill("ChatGPT (personal accounts)")
    page.get_by_label("Team / business unit").fill("Customer Support")
    page.get_by_label("People using it").fill("14")
    page.get_by_label("Data touched").fill("Customer emails pasted in for draft replies")
    page.get_by_label("Data classification").select_option(label="Confidential")
    page.get_by_label("How it was found").select_option(label="Proxy log import")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded ChatGPT (personal accounts) (Customer Support).")
    row = page.locator("#register tbody tr", has_text="ChatGPT (personal accounts)")
    expect(row).to_contain_text("Untriaged")
    screenshot("shadow-ai-register")

    # 3. "Sanctioned path exists" without saying which path is refused, beside the field and on top.
    row.get_by_role("link", name="Triage").click()
    page.get_by_label("Triage").select_option(label="Sanctioned path exists")
    page.get_by_role("button", name="Save triage").click()
    expect(page.locator(".error-summary")).to_contain_text("Link the initiative or library asset")
    screenshot("shadow-ai-triage-error")
    page.get_by_label("Initiative").select_option(label=initiative.title)
    page.get_by_role("button", name="Save triage").click()
    expect(page.get_by_role("status")).to_contain_text("sanctioned path exists")
    row = page.locator("#register tbody tr", has_text="ChatGPT (personal accounts)")
    expect(row).to_contain_text("Sanctioned path exists")
    expect(row.get_by_role("link", name=initiative.title)).to_be_visible()
    item = ShadowAiUse.objects.get()
    assert (item.status, item.initiative_id, item.recorded_by_id) == ("sanctioned", initiative.pk, rita.pk)
    actions = AuditEvent.objects.filter(object_type="governance.shadowaiuse").order_by("id")
    assert list(actions.values_list("action", flat=True)) == ["shadow_ai.recorded", "shadow_ai.triaged"]

    # 4. The portfolio's card counts it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Portfolio").click()
    card = page.locator("#shadow-ai")
    expect(card.get_by_role("term")).to_have_text(
        ["Open items", "With a sanctioned path", "People with a sanctioned path", "Users moved"]
    )
    # No weekly-active-users KPI on the initiative yet: nobody is counted as moved.
    expect(card.get_by_role("definition")).to_have_text(["0", "100 %", "14 of 14", "0 of 14"])
    card.scroll_into_view_if_needed()
    screenshot("shadow-ai-portfolio")
