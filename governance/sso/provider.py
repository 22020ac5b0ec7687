"""The OpenID provider as OpModel sees it: whether sign-on is on, its discovery document (fetched on first
use with a timeout, cached, never at import), and the settings mozilla-django-oidc asks for."""

import logging
import threading
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from mozilla_django_oidc.utils import import_from_settings

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TTL_SECONDS = 3600
# mozilla-django-oidc's settings that OpModel fixes rather than reads from the environment.
FIXED = {
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_USE_PKCE": True,
    "OIDC_USE_NONCE": True,
    "OIDC_CREATE_USER": True,
    "OIDC_VERIFY_SSL": True,
    "LOGIN_REDIRECT_URL_FAILURE": "login",
    # Kept in the session for the provider's log-out (end_session_url): it names the session to end there.
    "OIDC_STORE_ID_TOKEN": True,
}
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class SsoRefused(Exception):
    """A sign-in that cannot go on; the message is for the person signing in and names no secret."""

    status = 400


class ProviderUnreachable(SsoRefused):
    status = 503


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


_discovered: dict[str, tuple[float, dict]] = {}
_discovery_lock = threading.Lock()


def discovery() -> dict:
    """The issuer's discovery document, fetched on first use and kept DISCOVERY_TTL_SECONDS (per issuer, so a
    changed OIDC_ISSUER is fetched afresh). A failure is not kept: the next sign-in tries again."""
    issuer = settings.OIDC_ISSUER
    now = time.monotonic()
    cached = _discovered.get(issuer)
    if cached and now - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    with _discovery_lock:
        url = issuer + DISCOVERY_PATH
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("OpenID discovery at %s failed: %s", url, exc)
            raise ProviderUnreachable(
                f"The sign-in provider ({settings.OIDC_PROVIDER_NAME}) could not be reached. Try again in a few "
                "minutes; if it goes on, tell your OpModel administrator."
            ) from None
        missing = [key for key in REQUIRED_ENDPOINTS if not document.get(key)] if isinstance(document, dict) else []
        if not isinstance(document, dict) or missing or str(document.get("issuer", "")).rstrip("/") != issuer:
            log.error("OpenID discovery at %s is unusable: %r, missing %s", url, document, missing)
            raise ProviderUnreachable(
                f"The sign-in provider ({settings.OIDC_PROVIDER_NAME}) answered with a configuration OpModel "
                "cannot use. Tell your OpModel administrator (OIDC_ISSUER must be the provider's issuer)."
            )
        _discovered[issuer] = (now, document)
        return document


def forget_discovery() -> None:
    _discovered.clear()


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's setting `attr`: discovered, fixed, or one of OpModel's OIDC_* settings."""
    if attr in DISCOVERED:
        value = discovery().get(DISCOVERED[attr])
        return value if value or not default else default[0]
    if attr in FIXED:
        return FIXED[attr]
    ours = {
        "OIDC_RP_CLIENT_ID": settings.OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.OIDC_SCOPES,
        "OIDC_TIMEOUT": settings.OIDC_TIMEOUT_SECONDS,
    }
    if attr in ours:
        return ours[attr]
    return import_from_settings(attr, *default)


def end_session_url(id_token: str, *, then: str) -> str | None:
    """Where to send the browser so that the provider ends its own session too, then sends it to `then`
    (RP-initiated logout); None when the provider offers no end_session_endpoint or cannot be reached, as
    OpModel's own session has ended either way."""
    try:
        endpoint = discovery().get("end_session_endpoint")
    except SsoRefused:
        return None
    if not endpoint:
        return None
    query = urlencode(
        {"id_token_hint": id_token, "client_id": settings.OIDC_CLIENT_ID, "post_logout_redirect_uri": then}
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
