import logging
import time

from django.core.cache import caches
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from redis.exceptions import RedisError
from rest_framework import authentication, exceptions, throttling

from governance.models import ApiToken
from governance.tokens import authenticate_key

logger = logging.getLogger(__name__)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; unknown, revoked and expired keys get a 401."""

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: use “Token <key>”.")
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = authenticate_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token header in the OpenAPI schema, so clients and /api/docs/ know how to authenticate."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=self.target.keyword)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """API_THROTTLE_RATE per token: each of a user's tokens has its own bucket, so one busy client
    cannot starve the user's others. Session (browser) callers are counted per user.

    The counts live in the "throttle" cache (Redis, shared by every web process, when REDIS_URL is
    set). While that cache cannot be reached, requests go through unthrottled, and for
    UNREACHABLE_PAUSE seconds the throttle does not try again: the API keeps working without Redis.
    """

    scope = "token"
    UNREACHABLE_PAUSE = 10
    _unreachable_until = 0.0  # per process

    @property
    def cache(self):
        return caches["throttle"]

    def allow_request(self, request, view):
        if time.monotonic() < TokenRateThrottle._unreachable_until:
            return True
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            TokenRateThrottle._unreachable_until = time.monotonic() + self.UNREACHABLE_PAUSE
            logger.warning("API throttle off for %ss: its Redis cache is unreachable (%s)", self.UNREACHABLE_PAUSE, exc)
            return True

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
