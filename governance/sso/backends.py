"""The authentication backends: passwords (refused for non-superusers when OIDC_DISABLE_PASSWORD_LOGIN is on)
and the sign-on callback's, which checks the ID token before services.sign_in sees its claims."""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from governance.sso.provider import ProviderUnreachable, SsoRefused, enabled, oidc_setting
from governance.sso.services import password_login_allowed, sign_in

log = logging.getLogger(__name__)

# Seconds of clock difference allowed between this server and the provider on exp, iat and nbf.
CLOCK_LEEWAY_SECONDS = 60


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
