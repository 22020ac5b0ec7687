"""Single sign-on with OpenID Connect (README: "Single sign-on"), on mozilla-django-oidc.

Off unless settings.OIDC_ISSUER is set. The provider's endpoints come from its discovery document
(`<issuer>/.well-known/openid-configuration`), fetched on first use with a timeout and cached, never at
import. An ID token must be signed by a key the provider publishes, by this issuer, for this client, and
not be expired. A user is found by the token's issuer and `sub` (SsoIdentity), never by email alone; a
first sign-in whose email belongs to an existing account is refused rather than taking it over. When
OIDC_LEADER_CLAIM is set, every sign-in makes the user a portfolio leader or not as the claim says,
audited as the admin's grant is (governance.leadership).
"""

import hashlib
import logging
import re
import threading
import time

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from governance import audit, leadership
from governance.models import SsoIdentity

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TTL_SECONDS = 3600
# Seconds of clock difference allowed between this server and the provider on exp, iat and nbf.
CLOCK_LEEWAY_SECONDS = 60
# mozilla-django-oidc's settings that OpModel fixes rather than reads from the environment.
FIXED = {
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_USE_PKCE": True,
    "OIDC_USE_NONCE": True,
    "OIDC_CREATE_USER": True,
    "OIDC_VERIFY_SSL": True,
    "LOGIN_REDIRECT_URL_FAILURE": "login",
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


def password_login_allowed(user) -> bool:
    """Passwords sign in anyone unless OIDC_DISABLE_PASSWORD_LOGIN is on; then superusers only (the way in
    while the provider is down). API tokens are a separate credential and are not affected."""
    return not settings.OIDC_DISABLE_PASSWORD_LOGIN or user.is_superuser


# Discovery ---------------------------------------------------------------------------------------------

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
        if not isinstance(document, dict) or missing or document.get("issuer", "").rstrip("/") != issuer:
            log.error("OpenID discovery at %s is unusable: issuer %r, missing %s", url, document, missing)
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


# Claims --------------------------------------------------------------------------------------------------


def leader_claim_says(claims: dict) -> bool | None:
    """Whether the claims make the user a portfolio leader; None when OIDC_LEADER_CLAIM is not set (then
    sign-on leaves leadership to the admin). The claim matches when it equals OIDC_LEADER_VALUE or, being a
    list (such as `groups` or `roles`), holds it; a true boolean claim matches OIDC_LEADER_VALUE=true."""
    name, wanted = settings.OIDC_LEADER_CLAIM, settings.OIDC_LEADER_VALUE
    if not name:
        return None
    value = claims.get(name)
    if isinstance(value, bool):
        return wanted.lower() == str(value).lower()
    if isinstance(value, list | tuple):
        return wanted in [str(item) for item in value]
    return isinstance(value, str | int) and str(value) == wanted


def username_for(claims: dict, *, issuer: str) -> str:
    """A free username: the provider's preferred_username (else the email's local part) in Django's
    characters, suffixed with a digest of the subject when an account already has it."""
    wanted = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0]
    base = re.sub(r"[^\w.@+-]", "", str(wanted))[:130] or "sso"
    taken = get_user_model().objects.filter(username__iexact=base).exists()
    if not taken:
        return base
    digest = hashlib.sha256(f"{issuer} {claims['sub']}".encode()).hexdigest()[:12]
    return f"{base}-{digest}"


@transaction.atomic
def sign_in(claims: dict, *, issuer: str):
    """The user for verified claims: found by (issuer, sub), or created on a first sign-in. Refused when a
    first sign-in's email belongs to an account not linked to this subject (an administrator links it in
    the admin's single sign-on identities), or when the account is inactive."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SsoRefused("The sign-in provider did not say who you are (no sub claim).")
    User = get_user_model()
    identity = SsoIdentity.objects.select_for_update().select_related("user").filter(issuer=issuer, subject=subject)
    identity = identity.first()
    email = str(claims.get("email") or "")
    names = {
        "first_name": str(claims.get("given_name") or "")[:150],
        "last_name": str(claims.get("family_name") or "")[:150],
    }
    if identity is None:
        if email and User.objects.filter(email__iexact=email).exists():
            log.warning("Sign-on refused: %s (sub %s at %s) matches an unlinked account", email, subject, issuer)
            raise SsoRefused(
                "An OpModel account with your email address already exists and is not linked to this sign-in. "
                "Ask an OpModel administrator to link it (admin: single sign-on identities); nothing was changed."
            )
        user = User.objects.create_user(username_for(claims, issuer=issuer), email=email, **names)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        identity = SsoIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        audit.record(
            "sso.user-created",
            user,
            actor=None,
            after={"issuer": issuer, "subject": subject, "username": user.username, "email": email},
        )
    user = identity.user
    if not user.is_active:
        raise SsoRefused("Your OpModel account is deactivated. Ask an OpModel administrator.")
    changed = [field for field, value in names.items() if value and getattr(user, field) != value]
    for field in changed:
        setattr(user, field, names[field])
    if changed:
        user.save(update_fields=changed)
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["last_login_at"])
    leader = leader_claim_says(claims)
    if leader is not None:
        via = f"single sign-on claim {settings.OIDC_LEADER_CLAIM}"
        leadership.set_leader(user, leader, actor=None, via=via)
    return user


# Backends ------------------------------------------------------------------------------------------------


class PasswordBackend(ModelBackend):
    """Django's username and password, refused for non-superusers when OIDC_DISABLE_PASSWORD_LOGIN is on.
    The admin's login and any session login go through this backend, so the rule holds everywhere."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not password_login_allowed(user):
            return None
        return user


class OidcBackend(OIDCAuthenticationBackend):
    """The callback's authentication: only the sign-on callback's call (with a nonce) reaches it, and it
    reads the provider's endpoints then, not when Django builds it (which it does on every request)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not enabled() or "nonce" not in kwargs or "username" in kwargs:
            return None
        super().__init__()  # reads the endpoints and client settings: discovery, now
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:
            log.warning("Sign-on refused: %s", exc)
            raise SsoRefused("The sign-in provider's answer did not verify, so nobody was signed in.") from None
        except requests.RequestException as exc:
            log.warning("Sign-on: the provider failed during the code exchange: %s", exc)
            raise ProviderUnreachable(
                f"The sign-in provider ({settings.OIDC_PROVIDER_NAME}) did not complete the sign-in. Try again."
            ) from None
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:  # no token, no key set, a malformed one
            log.warning("Sign-on refused: the provider's answer was malformed: %r", exc)
            raise SsoRefused("The sign-in provider's answer did not verify, so nobody was signed in.") from None

    def _verify_jws(self, payload, key):
        """The ID token's signature, and that it is this issuer's, for this client, and current."""
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise SsoRefused("The sign-in provider's token had expired, so nobody was signed in. Try again.") from None
        except jwt.InvalidTokenError as exc:
            log.warning("Sign-on refused: the ID token did not verify: %s", exc)
            raise SsoRefused("The sign-in provider's token did not verify, so nobody was signed in.") from None

    def get_or_create_user(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if str(userinfo.get("sub")) != str(payload.get("sub")):
                raise SsoRefused("The sign-in provider's user information was for someone else; nobody was signed in.")
            claims = {**userinfo, **payload}  # the signed token wins where both say something
        try:
            return sign_in(claims, issuer=settings.OIDC_ISSUER)
        except IntegrityError:  # the same person's first sign-in, twice at once: the other one created them
            return sign_in(claims, issuer=settings.OIDC_ISSUER)

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)


# Views ---------------------------------------------------------------------------------------------------


def refused(request, exc: SsoRefused):
    context = {"message": str(exc), "provider": settings.OIDC_PROVIDER_NAME}
    return render(request, "registration/sso_refused.html", context, status=exc.status)


class Start(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and a PKCE challenge kept in the session."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except SsoRefused as exc:
            return refused(request, exc)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


class Callback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the code is exchanged, the token verified, the user found."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except SsoRefused as exc:
            return refused(request, exc)
        except SuspiciousOperation:  # a state this session never issued, or one already used
            return refused(request, SsoRefused("This sign-in link was already used or has expired. Start again."))

    def login_failure(self):
        problem = self.request.GET.get("error_description") or self.request.GET.get("error")
        message = "The sign-in did not complete."
        if problem:
            message += f" The provider said: {problem[:200]}"
        return refused(self.request, SsoRefused(message))


class PasswordLoginForm(AuthenticationForm):
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if settings.OIDC_DISABLE_PASSWORD_LOGIN:
                raise ValidationError(
                    f"Password sign-in is turned off here: sign in with {settings.OIDC_PROVIDER_NAME}.",
                    code="password_login_disabled",
                ) from None
            raise


class Login(LoginView):
    """Django's login page, with the "Sign in with <provider>" button when sign-on is on, and without the
    password form when OIDC_DISABLE_PASSWORD_LOGIN is."""

    form_class = PasswordLoginForm

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_provider": settings.OIDC_PROVIDER_NAME if enabled() else "",
            "password_form": not settings.OIDC_DISABLE_PASSWORD_LOGIN,
        }


urlpatterns = [
    path("authenticate/", Start.as_view(), name="oidc_authentication_init"),
    path("callback/", Callback.as_view(), name="oidc_authentication_callback"),
]
