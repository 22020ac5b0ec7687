"""Playwright against pytest-django's live server, driving Debian's Chromium.

The live server runs in a thread of this process, so every browser test is a
transactional test. A transactional test ends by emptying every table, which
would also drop the gate policies that migration governance/0003 ships;
serialized_rollback puts the migrated rows back before each test.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses
# to run inside one unless told the caller knows what it is doing.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "pw-for-tests-only"
SHOTS = Path("/tmp/opmodel-shots")  # noqa: S108 - screenshots for a person to open, not a secret
# axe-core from the npm registry, vendored (tests/browser/vendor/README.md): the checks never reach a CDN.
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: what OpModel claims (README, "Accessibility").
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe-core keeps some WCAG rules "experimental" (label-content-name-mismatch, td-has-header, ...): they run
# too, and count when they test a WCAG criterion.
RUN_AXE = """tags => axe.run(document, {
    runOnly: {type: 'tag', values: [...tags, 'experimental']}, resultTypes: ['violations']
})"""


@pytest.fixture(scope="session", autouse=True)
def _database_inside_playwright_loop(request, django_db_setup):
    """Give the migrated rows saved at database setup to the connection the tests will use.

    While an event loop runs, Django hands out other connection objects than before it
    started. When other tests created the database first, the rows serialized for
    serialized_rollback sit on the old connection, and every browser test after the
    first would start without gate policies.
    """
    from django.db import connections

    saved = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    request.getfixturevalue("playwright")  # starts the loop
    for alias, contents in saved.items():
        if contents is not None:
            connections[alias]._test_serialized_contents = contents


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server.url}


@pytest.fixture(autouse=True)
def _fail_fast(page):
    # A missing label should fail in seconds, not after Playwright's default 30.
    page.set_default_timeout(10_000)


def log_in_as(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def login(page):
    return lambda user: log_in_as(page, user.username)


def open_tab(page, name: str) -> None:
    """Click one of the initiative page's tabs and wait for it to be the current one."""
    tabs = page.get_by_role("navigation", name="Initiative sections")
    tabs.get_by_role("link", name=name, exact=True).click()
    expect(tabs.locator('[aria-current="page"]')).to_have_text(name)


def assert_accessible(page) -> None:
    """Fails with each rule, element and the page when axe-core finds a serious or critical WCAG 2.2 A/AA
    violation on the page as it is now (call it after each page a journey opens)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(RUN_AXE, WCAG_TAGS)
    found = [
        f"{rule['id']} ({rule['impact']}): {', '.join(node['target'])} {node['html'][:160]}\n    {rule['help']}"
        for rule in results["violations"]
        if rule["impact"] in ("serious", "critical") and set(rule["tags"]) & set(WCAG_TAGS)
        for node in rule["nodes"]
    ]
    assert not found, f"axe-core on {page.url}:\n" + "\n".join(found)


@pytest.fixture
def screenshot(page):
    """Saves the page for a person to look at; nothing asserts on it."""

    def save(name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    return save
