"""Single sign-on end to end: OpModel's live server and a real OpenID provider (django-oauth-toolkit, its own
process on loopback, tests/oidc_provider/), in Chromium: redirect, login at the provider, callback, session,
the leader claim, logout here and at the provider; and ID tokens that were tampered with or had expired, refused."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from governance.models import AuditEvent, SsoIdentity
from governance.sso import provider
from initiatives.models import is_leader
from tests.browser.conftest import assert_accessible
from tests.oidc_provider.process import CLIENT_SECRET, PASSWORD, running_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="module")
def issuer(live_server, tmp_path_factory):
    with running_provider(
        tmp_path_factory.mktemp("provider"),
        redirect_uri=f"{live_server.url}/accounts/oidc/callback/",
        post_logout_uri=f"{live_server.url}/accounts/login/",
    ) as url:
        yield url


@pytest.fixture
def sso_on(settings, issuer):
    settings.OIDC_ISSUER = issuer
    settings.OIDC_CLIENT_ID = "opmodel"
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Test Provider"
    settings.OIDC_LEADER_CLAIM = "groups"
    settings.OIDC_LEADER_VALUE = "portfolio-leaders"
    provider.forget_discovery()
    yield settings
    provider.forget_discovery()


def click_sign_in(page) -> None:
    page.goto("/initiatives/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_accessible(page)
    page.get_by_role("link", name="Sign in with Test Provider").click()


def sign_in_at_provider(page, username: str) -> None:
    click_sign_in(page)
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/login/"))  # at the provider
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in to the test provider").click()


def test_a_leader_signs_in_at_the_provider_and_out_again(page, sso_on, live_server, screenshot):
    page.goto("/accounts/login/")
    screenshot("sso-login")
    sign_in_at_provider(page, "ada")

    # The callback brought her back where she was going, signed in.
    expect(page).to_have_url(f"{live_server.url}/initiatives/")
    expect(page.locator(".who")).to_have_text("Ada Lovelace")
    assert_accessible(page)
    ada = User.objects.get(sso_identity__issuer=sso_on.OIDC_ISSUER)
    assert ada.email == "ada@example.org" and not ada.has_usable_password()
    assert SsoIdentity.objects.get(user=ada).subject  # the provider's sub
    # Her provider group made her a portfolio leader, audited as the admin's grant is.
    assert is_leader(ada)
    granted = AuditEvent.objects.get(action="leadership.granted", object_id=str(ada.pk))
    assert granted.after["via"] == "single sign-on claim groups" and granted.actor_username == "system"
    page.goto("/portfolio/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to OpModel")).to_be_visible()
    page.goto("/initiatives/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # OpModel's session ended
    # and so did the provider's: signing in again asks for her password there.
    page.get_by_role("link", name="Sign in with Test Provider").click()
    expect(page.get_by_label("Provider password")).to_be_visible()


def test_a_second_sign_in_finds_the_same_user_and_a_non_leader_stays_one(page, sso_on, live_server):
    sign_in_at_provider(page, "ben")
    expect(page.locator(".who")).to_have_text("Ben Okafor")
    ben = User.objects.get(username="ben")
    assert not is_leader(ben)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to OpModel")).to_be_visible()

    sign_in_at_provider(page, "ben")

    expect(page.locator(".who")).to_have_text("Ben Okafor")
    assert User.objects.filter(sso_identity__isnull=False).count() == 1
    assert not AuditEvent.objects.filter(action__startswith="leadership.").exists()


@pytest.mark.parametrize(
    ("client_id", "message"),
    [
        ("opmodel-tampered", "The sign-in provider's token did not verify, so nobody was signed in."),
        ("opmodel-expired", "The sign-in provider's token had expired, so nobody was signed in. Try again."),
    ],
)
def test_a_tampered_or_expired_id_token_is_refused(page, sso_on, client_id, message):
    sso_on.OIDC_CLIENT_ID = client_id

    sign_in_at_provider(page, "ben")

    expect(page.get_by_role("heading", name="Sign-in not completed")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(message)
    assert_accessible(page)
    assert not User.objects.exists()
    page.goto("/initiatives/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_replayed_callback_is_refused(page, sso_on, live_server):
    callbacks = []
    page.on("request", lambda request: callbacks.append(request.url) if "/oidc/callback/" in request.url else None)
    sign_in_at_provider(page, "ben")
    expect(page.locator(".who")).to_have_text("Ben Okafor")
    page.get_by_role("button", name="Log out").click()

    page.goto(callbacks[0])

    expect(page.get_by_role("heading", name="Sign-in not completed")).to_be_visible()
    page.goto("/initiatives/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_with_password_sign_in_off_the_login_page_offers_only_the_provider(page, sso_on, screenshot):
    sso_on.OIDC_DISABLE_PASSWORD_LOGIN = True

    page.goto("/accounts/login/")

    expect(page.get_by_role("link", name="Sign in with Test Provider")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    assert_accessible(page)
    screenshot("sso-login-password-off")
