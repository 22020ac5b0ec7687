"""A product manager finds an asset in the library, compares versions and adopts it; a curator
publishes a new version and the product manager is told."""

import re

import pytest
from playwright.sync_api import expect

from governance.library import services as library
from governance.models import Asset, AssetUsage, Notification
from initiatives import services
from initiatives.models import Role
from tests.browser.conftest import SHOTS, assert_accessible, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

V1 = "Classify this ticket:\n{{ticket_text}}\nAnswer with one category.\n"
V2 = "Classify this support ticket:\n{{ticket_text}}\nAnswer with one of {{categories}}.\n"


@pytest.fixture
def prompt(lee):
    asset = library.create_asset(
        acting_user=lee,
        name="Ticket triage prompt",
        type=Asset.Type.PROMPT_TEMPLATE,
        content=V1,
        description="Routes incoming support tickets to a category.",
        tags=["support", "triage"],
        owner_team="Platform",
    )
    library.publish_version(asset.pk, acting_user=lee, content=V2, changelog="Name the categories as a variable")
    library.create_asset(
        acting_user=lee,
        name="Invoice extraction cases",
        type=Asset.Type.EVALUATION_SET,
        content="input,expected\nInvoice 1,42.00\n",
        tags=["finance"],
    )
    return asset


def test_pm_adopts_an_asset_and_hears_about_its_next_version(
    page, login, screenshot, prompt, initiative, make_initiative, alice, dana
):
    services.assign_role(
        make_initiative("Platform services").pk, acting_user=alice, role=Role.PLATFORM_ENGINEERING, user=dana
    )
    login(alice)

    # 1. Search the library from the nav.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="Reusable-asset library")).to_be_visible()
    page.get_by_label("Search the library").fill("triage")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Ticket triage prompt")).to_be_visible()
    expect(page.get_by_role("link", name="Invoice extraction cases")).to_have_count(0)
    assert_accessible(page)
    screenshot("library-search")

    # 2. Open the asset: the latest version with its variables highlighted, and its history.
    page.get_by_role("link", name="Ticket triage prompt").click()
    expect(page).to_have_url(re.compile(rf"/library/{prompt.slug}/$"))
    expect(page.locator(".asset-content mark.var").filter(has_text="{{categories}}")).to_be_visible()
    expect(page.get_by_role("heading", name="Version history")).to_be_visible()

    # 3. Compare the two versions.
    page.get_by_label("From version").select_option(label="v1")
    page.get_by_label("To version").select_option(label="v2")
    page.get_by_role("button", name="Compare versions").click()
    expect(page).to_have_url(re.compile(r"/diff/\?from=1&to=2$"))
    expect(page.locator("pre.diff .diff-del").filter(has_text="-Answer with one category.")).to_be_visible()
    expect(page.locator("pre.diff .diff-add").filter(has_text="{{categories}}")).to_be_visible()

    # 4. Adopt the latest version from the initiative page.
    page.goto(initiative.get_absolute_url())
    assert_accessible(page)
    open_tab(page, "Assets")
    assets = page.locator("#assets")
    assets.get_by_label("Asset").select_option(label="Ticket triage prompt")
    assets.get_by_role("button", name="Use this asset").click()
    expect(page.get_by_role("status")).to_contain_text("This initiative now uses Ticket triage prompt v2.")
    expect(assets.get_by_role("link", name="Ticket triage prompt")).to_be_visible()
    expect(assets.get_by_text("newer version available")).to_have_count(0)
    assert AssetUsage.objects.get(initiative=initiative).version.number == 2
    page.get_by_role("button", name="Log out").click()

    # 5. A platform engineer publishes v3.
    login(dana)
    page.goto(prompt.get_absolute_url())
    assert_accessible(page)
    page.get_by_label("Content").fill(V2 + "If unsure, answer “needs-human”.\n")
    page.get_by_label("Changelog").fill("Hand unsure tickets to a person")
    page.get_by_role("button", name="Publish new version").click()
    expect(page.get_by_role("status")).to_contain_text("Published v3.")
    expect(page.get_by_role("heading", name=re.compile(r"Content of v3"))).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # 6. The product manager is told: a count in the nav, a badge on the initiative, the notification itself.
    login(alice)
    expect(page.get_by_role("link", name="Notifications (1)")).to_be_visible()
    page.goto(initiative.get_absolute_url())
    assert_accessible(page)
    open_tab(page, "Assets")
    expect(page.locator("#assets").get_by_text("newer version available")).to_be_visible()
    page.locator("#assets").screenshot(path=str(SHOTS / "library-initiative-panel.png"))
    page.locator("#assets").get_by_role("link", name="What changed in v3").click()
    expect(page.locator("pre.diff .diff-add").filter(has_text="needs-human")).to_be_visible()
    page.get_by_role("link", name="Notifications (1)").click()
    expect(page.get_by_text("A newer version of Ticket triage prompt (v3) is available")).to_be_visible()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("link", name="Notifications (0)")).to_be_visible()
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()

    page.goto(prompt.get_absolute_url())
    assert_accessible(page)
    screenshot("library-asset")
