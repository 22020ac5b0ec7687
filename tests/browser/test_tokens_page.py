"""A user creates an API token in the browser, copies it, uses it, and revokes it."""

import re

import pytest
from playwright.sync_api import expect

from governance.models import ApiToken, AuditEvent
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_token_works_until_it_is_revoked_in_the_page(page, playwright, login, live_server, alice):
    login(alice)
    page.goto("/accounts/tokens/")
    assert_accessible(page)
    page.get_by_label("Token name").fill("BI nightly job")
    page.get_by_label("Expires in (days)").fill("30")
    page.get_by_role("button", name="Create token").click()

    # Redirected after the POST: the key is on a page a refresh cannot resubmit.
    expect(page).to_have_url(re.compile(r"/accounts/tokens/$"))
    new_key = page.locator("section").filter(has=page.get_by_role("heading", name="Your new key"))
    expect(new_key).to_be_visible()
    key = new_key.get_by_test_id("new-key").inner_text().strip()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    new_key.get_by_role("button", name="Copy key").click()
    expect(new_key.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    token = ApiToken.objects.get(user=alice)
    assert token.name == "BI nightly job"
    assert key.startswith(token.prefix)
    assert token.expires_at is not None

    url = live_server.url + "/api/v1/initiatives/"
    auth = {"Authorization": f"Token {key}"}
    assert page.request.get(url, headers=auth).status == 200
    # page.request shares the browser's session cookie; a cookieless client proves the key alone works.
    client = playwright.request.new_context()
    assert client.get(url, headers=auth).status == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    # The key is shown once: reloading the page does not show it again, nor issue another token.
    page.reload()
    expect(page.get_by_text(key)).to_have_count(0)
    assert ApiToken.objects.filter(user=alice).count() == 1

    page.get_by_role("button", name="Revoke BI nightly job").click()
    expect(page.get_by_role("status")).to_contain_text("revoked; clients using it now get 401")
    expect(page.get_by_role("row", name="BI nightly job")).to_contain_text("revoked")
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)

    for response in (page.request.get(url, headers=auth), client.get(url, headers=auth)):
        assert response.status == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 401
    client.dispose()

    token.refresh_from_db()
    assert token.revoked_at is not None
    token_events = AuditEvent.objects.filter(action__startswith="token.").order_by("id")
    assert list(token_events.values_list("action", flat=True)) == ["token.issued", "token.revoked"]
