"""Single sign-on's rules without a browser: claims to users and leadership, token checks, discovery, the
login page and password sign-in when it is turned off. The journey against a real provider is
tests/browser/test_sso_journey.py."""

import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Group, User

from governance.models import AuditEvent, SsoIdentity
from governance.sso import backends, provider, services
from initiatives.models import LEADERSHIP_GROUP, is_leader

ISSUER = "https://id.example.org"


@pytest.fixture
def sso_on(settings):
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_CLIENT_ID = "opmodel"
    settings.OIDC_CLIENT_SECRET = "secret"
    settings.OIDC_PROVIDER_NAME = "Example ID"
    settings.OIDC_LEADER_CLAIM = "groups"
    settings.OIDC_LEADER_VALUE = "portfolio-leaders"
    provider.forget_discovery()
    yield settings
    provider.forget_discovery()


def claims(sub="s-1", **more):
    return {"sub": sub, "email": f"{sub}@example.org", "preferred_username": "ada", **more}


# The leader claim -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["engineering", "portfolio-leaders"], True),
        (["engineering"], False),
        ([], False),
        ("portfolio-leaders", True),
        ("portfolio-leaders-emea", False),
        (None, False),
        ({"portfolio-leaders": True}, False),
    ],
)
def test_the_leader_claim_matches_its_value_or_a_list_holding_it(sso_on, value, expected):
    assert services.leader_claim_says({"sub": "x", "groups": value}) is expected


def test_a_boolean_leader_claim_matches_true(settings):
    settings.OIDC_LEADER_CLAIM, settings.OIDC_LEADER_VALUE = "is_leader", "true"

    assert services.leader_claim_says({"is_leader": True}) is True
    assert services.leader_claim_says({"is_leader": False}) is False
    assert services.leader_claim_says({}) is False


def test_without_a_leader_claim_sign_on_says_nothing_about_leadership(settings):
    settings.OIDC_LEADER_CLAIM = settings.OIDC_LEADER_VALUE = ""

    assert services.leader_claim_says({"groups": ["portfolio-leaders"]}) is None


# Users: created or matched by sub ----------------------------------------------------------------------------


def test_a_first_sign_in_creates_a_user_without_a_password_linked_to_the_subject(db, sso_on):
    user = services.sign_in(claims(given_name="Ada", family_name="Lovelace"), issuer=ISSUER)

    assert (user.username, user.email, user.get_full_name()) == ("ada", "s-1@example.org", "Ada Lovelace")
    assert not user.has_usable_password()
    assert SsoIdentity.objects.get(user=user).subject == "s-1"
    event = AuditEvent.objects.get(action="sso.user-created")
    assert event.object_id == str(user.pk) and event.after["subject"] == "s-1"


def test_a_later_sign_in_finds_the_user_by_subject_whatever_the_email_now_says(db, sso_on):
    first = services.sign_in(claims(), issuer=ISSUER)

    again = services.sign_in(claims(email="renamed@example.org", preferred_username="someone-else"), issuer=ISSUER)

    assert again == first
    assert User.objects.count() == 1


def test_the_same_subject_at_another_issuer_is_another_person(db, sso_on):
    first = services.sign_in(claims(), issuer=ISSUER)

    other = services.sign_in(claims(email="other@example.net"), issuer="https://other.example.net")

    assert other != first


def test_a_first_sign_in_with_the_email_of_an_existing_account_is_refused_and_changes_nothing(db, sso_on, alice):
    with pytest.raises(provider.SsoRefused, match="already exists and is not linked"):
        services.sign_in(claims(email="ALICE@example.com"), issuer=ISSUER)

    assert User.objects.count() == 1 and not SsoIdentity.objects.exists()
    assert alice.has_usable_password()


def test_an_administrator_links_the_existing_account_then_its_owner_signs_in_to_it(db, sso_on, alice, admin_client):
    response = admin_client.post(
        "/admin/governance/ssoidentity/add/", {"user": alice.pk, "issuer": ISSUER, "subject": "s-alice"}
    )
    assert response.status_code == 302

    user = services.sign_in(claims("s-alice", email="alice@example.com"), issuer=ISSUER)

    assert user == alice
    linked = AuditEvent.objects.get(action="sso.linked")
    assert (linked.actor_username, linked.after["subject"]) == ("bea", "s-alice")


def test_a_taken_username_gets_the_subjects_digest(db, sso_on, alice):
    user = services.sign_in(claims(preferred_username="alice", email="a2@example.org"), issuer=ISSUER)

    assert user != alice and user.username.startswith("alice-") and len(user.username) == len("alice-") + 12


def test_a_deactivated_account_is_refused(db, sso_on):
    user = services.sign_in(claims(), issuer=ISSUER)
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(provider.SsoRefused, match="deactivated"):
        services.sign_in(claims(), issuer=ISSUER)


def test_claims_without_a_subject_are_refused(db, sso_on):
    with pytest.raises(provider.SsoRefused, match="no sub claim"):
        services.sign_in({"email": "x@example.org"}, issuer=ISSUER)


# Leadership from the claim, audited as the admin's grant --------------------------------------------------------


def test_the_leader_claim_grants_leadership_then_its_absence_revokes_it_both_audited(db, sso_on):
    user = services.sign_in(claims(groups=["portfolio-leaders"]), issuer=ISSUER)
    assert is_leader(User.objects.get(pk=user.pk))

    services.sign_in(claims(groups=["portfolio-leaders"]), issuer=ISSUER)  # still a leader: no second event
    services.sign_in(claims(groups=["engineering"]), issuer=ISSUER)

    assert not is_leader(User.objects.get(pk=user.pk))
    events = list(AuditEvent.objects.filter(object_id=str(user.pk), action__startswith="leadership.").order_by("id"))
    assert [e.action for e in events] == ["leadership.granted", "leadership.revoked"]
    assert [e.before for e in events] == [{"leader": False}, {"leader": True}]
    assert events[0].after == {
        "leader": True,
        "superuser": False,
        "groups": [LEADERSHIP_GROUP],
        "via": "single sign-on claim groups",
    }


def test_without_a_leader_claim_sign_on_leaves_an_admins_grant_alone(db, sso_on):
    user = services.sign_in(claims(), issuer=ISSUER)
    user.groups.add(Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0])
    sso_on.OIDC_LEADER_CLAIM = sso_on.OIDC_LEADER_VALUE = ""

    services.sign_in(claims(), issuer=ISSUER)

    assert is_leader(User.objects.get(pk=user.pk))
    assert not AuditEvent.objects.filter(action__startswith="leadership.").exists()


def test_the_admins_grant_records_the_same_event(db, admin_client, alice):
    data = {
        "username": "alice",
        "first_name": "Alice",
        "last_name": "Product",
        "email": "alice@example.com",
        "is_active": "on",
        "groups": [Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0].pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = admin_client.post(f"/admin/auth/user/{alice.pk}/change/", data)
    assert response.status_code == 302

    event = AuditEvent.objects.get(action="leadership.granted")
    assert (event.object_type, event.object_id, event.before) == ("auth.user", str(alice.pk), {"leader": False})


# The ID token ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(key, **changes) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": "opmodel", "sub": "s-1", "iat": now, "exp": now + 300, "nonce": "n"}
    body.update(changes)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="RS256")


def verify(key, signed: str) -> dict:
    backend = backends.OidcBackend()
    backend.OIDC_RP_SIGN_ALGO, backend.OIDC_RP_CLIENT_ID = "RS256", "opmodel"
    return backend._verify_jws(signed, key.public_key())


def test_a_sound_id_token_verifies(sso_on, key):
    assert verify(key, token(key))["sub"] == "s-1"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exp": int(time.time()) - 120}, "had expired"),
        ({"aud": "another-client"}, "did not verify"),
        ({"iss": "https://evil.example.org"}, "did not verify"),
        ({"exp": None}, "did not verify"),
    ],
)
def test_an_expired_or_misdirected_id_token_is_refused(sso_on, key, changes, message):
    with pytest.raises(provider.SsoRefused, match=message):
        verify(key, token(key, **changes))


def test_a_tampered_id_token_is_refused(sso_on, key):
    header, _, signature = token(key).split(".")
    _, forged, _ = token(key, sub="someone-else").split(".")

    with pytest.raises(provider.SsoRefused, match="did not verify"):
        verify(key, ".".join([header, forged, signature]))


def test_a_token_signed_with_another_key_or_the_client_secret_is_refused(sso_on, key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    hs256 = jwt.encode({"iss": ISSUER, "aud": "opmodel", "sub": "s", "iat": 1, "exp": 2**40}, "secret" * 6, "HS256")

    for signed in (token(other), hs256):
        with pytest.raises(provider.SsoRefused, match="did not verify"):
            verify(key, signed)


# Discovery, the pages -------------------------------------------------------------------------------------------


class Answer:
    def __init__(self, document):
        self.document = document

    def raise_for_status(self):
        pass

    def json(self):
        return self.document


DOCUMENT = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/authorize",
    "token_endpoint": f"{ISSUER}/token",
    "jwks_uri": f"{ISSUER}/jwks",
}


def test_discovery_is_fetched_once_then_kept(sso_on, monkeypatch):
    fetched = []
    monkeypatch.setattr(
        provider.requests, "get", lambda url, timeout: fetched.append((url, timeout)) or Answer(DOCUMENT)
    )

    assert provider.oidc_setting("OIDC_OP_TOKEN_ENDPOINT") == f"{ISSUER}/token"
    assert provider.oidc_setting("OIDC_OP_JWKS_ENDPOINT") == f"{ISSUER}/jwks"
    assert provider.oidc_setting("OIDC_OP_USER_ENDPOINT", None) is None

    assert fetched == [(f"{ISSUER}/.well-known/openid-configuration", 5)]


def test_the_start_redirects_to_the_discovered_endpoint_with_state_nonce_and_pkce(client, db, sso_on, monkeypatch):
    monkeypatch.setattr(provider.requests, "get", lambda url, timeout: Answer(DOCUMENT))

    response = client.get("/accounts/oidc/authenticate/?next=/portfolio/")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{ISSUER}/authorize?")
    for part in ("client_id=opmodel", "scope=openid+email+profile", "state=", "nonce=", "code_challenge_method=S256"):
        assert part in location
    assert client.session["oidc_login_next"] == "/portfolio/"


def test_an_unreachable_provider_gets_a_clear_page_not_a_500(client, db, sso_on, monkeypatch):
    def down(url, timeout):
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(provider.requests, "get", down)

    response = client.get("/accounts/oidc/authenticate/")

    assert response.status_code == 503
    assert "The sign-in provider (Example ID) could not be reached" in response.content.decode()


def test_a_discovery_document_of_another_issuer_is_not_used(client, db, sso_on, monkeypatch):
    monkeypatch.setattr(
        provider.requests, "get", lambda url, timeout: Answer({**DOCUMENT, "issuer": "https://x.example"})
    )

    response = client.get("/accounts/oidc/authenticate/")

    assert response.status_code == 503
    assert "configuration OpModel cannot use" in response.content.decode()


def test_a_callback_with_a_state_this_session_never_issued_is_refused(client, db, sso_on):
    session = client.session
    session["oidc_states"] = {"issued": {"nonce": "n", "code_verifier": "v"}}
    session.save()

    response = client.get("/accounts/oidc/callback/?code=c&state=forged")

    assert response.status_code == 400
    assert "already used or has expired" in response.content.decode()


def test_a_provider_error_is_shown(client, db, sso_on):
    response = client.get("/accounts/oidc/callback/?error=access_denied&error_description=User+said+no")

    assert response.status_code == 400
    assert "The provider said: User said no" in response.content.decode()


def test_while_sign_on_is_off_its_pages_are_not_found_and_the_login_page_has_no_button(client, db):
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=c&state=s").status_code == 404
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page and 'name="password"' in page


def test_the_login_page_offers_the_provider_keeping_where_the_user_was_going(client, db, sso_on):
    page = client.get("/accounts/login/?next=/portfolio/").content.decode()

    assert (
        '<a class="button primary" href="/accounts/oidc/authenticate/?next=/portfolio/">Sign in with Example ID</a>'
        in page
    )
    assert 'name="password"' in page


# Password sign-in turned off ----------------------------------------------------------------------------------


def test_with_password_sign_in_off_the_form_is_gone_and_only_superusers_get_in(client, db, sso_on, alice, bea):
    sso_on.OIDC_DISABLE_PASSWORD_LOGIN = True
    page = client.get("/accounts/login/").content.decode()
    assert 'name="password"' not in page and "Sign in with Example ID" in page

    refused = client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-only"})
    assert refused.status_code == 200
    assert "turned off here except for administrators: sign in with Example ID." in refused.content.decode()
    assert "_auth_user_id" not in client.session

    allowed = client.post("/accounts/login/", {"username": "bea", "password": "pw-for-tests-only"})
    assert allowed.status_code == 302
    assert client.session["_auth_user_id"] == str(bea.pk)


def test_with_password_sign_in_off_the_admins_login_refuses_staff_who_are_not_superusers(client, db, sso_on, alice):
    User.objects.filter(pk=alice.pk).update(is_staff=True)
    sso_on.OIDC_DISABLE_PASSWORD_LOGIN = True

    response = client.post("/admin/login/?next=/admin/", {"username": "alice", "password": "pw-for-tests-only"})

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert not client.login(username="alice", password="pw-for-tests-only")


def callback_after_start(client, monkeypatch, token_answer: dict):
    """The callback of a sign-in this session started, with the provider's token endpoint answering
    `token_answer` (a 200)."""
    from mozilla_django_oidc import auth

    class TokenAnswer(Answer):
        status_code = 200

    monkeypatch.setattr(provider.requests, "get", lambda url, timeout: Answer(DOCUMENT))
    monkeypatch.setattr(auth.requests, "post", lambda url, **kwargs: TokenAnswer(token_answer))
    session = client.session
    session["oidc_states"] = {"st": {"nonce": "n", "code_verifier": "v" * 43}}
    session.save()
    return client.get("/accounts/oidc/callback/?code=c&state=st")


@pytest.mark.parametrize("answer", [{"access_token": "a"}, {"access_token": "a", "id_token": "not.a.jwt"}])
def test_a_token_answer_without_a_usable_id_token_is_refused_not_a_500(client, db, sso_on, monkeypatch, answer):
    response = callback_after_start(client, monkeypatch, answer)

    assert response.status_code == 400
    assert "did not verify, so nobody was signed in" in response.content.decode()
    assert not User.objects.exists()


# Log-out ------------------------------------------------------------------------------------------------------


def signed_in_by_sso(client, user):
    client.force_login(user, backend="governance.sso.backends.OidcBackend")
    session = client.session
    session["oidc_id_token"] = "the.id.token"
    session.save()


def test_log_out_after_a_sign_on_ends_the_session_here_then_at_the_provider(client, db, sso_on, alice, monkeypatch):
    document = {**DOCUMENT, "end_session_endpoint": f"{ISSUER}/logout"}
    monkeypatch.setattr(provider.requests, "get", lambda url, timeout: Answer(document))
    signed_in_by_sso(client, alice)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == (
        f"{ISSUER}/logout?id_token_hint=the.id.token&client_id=opmodel"
        "&post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Faccounts%2Flogin%2F"
    )
    assert "_auth_user_id" not in client.session
    assert client.get("/initiatives/").status_code == 302


@pytest.mark.parametrize("reachable", [True, False])
def test_log_out_ends_the_session_here_when_the_provider_offers_no_end_or_is_down(
    client, db, sso_on, alice, monkeypatch, reachable
):
    def answer(url, timeout):
        if not reachable:
            raise requests.ConnectionError("down")
        return Answer(DOCUMENT)  # no end_session_endpoint

    monkeypatch.setattr(provider.requests, "get", answer)
    signed_in_by_sso(client, alice)

    response = client.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_log_out_after_a_password_log_in_stays_here(client, db, sso_on, alice, monkeypatch):
    monkeypatch.setattr(provider.requests, "get", lambda url, timeout: pytest.fail("no call to the provider"))
    client.force_login(alice)

    response = client.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert "_auth_user_id" not in client.session
