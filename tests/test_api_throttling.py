"""API throttling: API_THROTTLE_RATE per token (per user for session callers); 429 problem+json with Retry-After.

The throttle counts in the "throttle" cache: Redis when REDIS_URL is set (CI), shared by every web
process; a per-process memory cache otherwise. Each test counts under keys of its own and with a
rate small enough to exhaust.
"""

import logging
import os
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from governance.authentication import TokenRateThrottle
from governance.models import ApiToken
from tests.lifecycle import api_as, assert_problem

pytestmark = pytest.mark.django_db
URL = "/api/v1/initiatives/"
LIMIT = 3


@pytest.fixture(autouse=True)
def small_rate(monkeypatch):
    # DRF reads THROTTLE_RATES once, when the class is created, so override_settings would not reach it.
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": f"{LIMIT}/minute"})
    # Keys of this test's own: in Redis, ids from earlier tests (and earlier runs) would collide.
    monkeypatch.setattr(TokenRateThrottle, "cache_format", f"throttle_{uuid.uuid4().hex}_%(scope)s_%(ident)s")
    monkeypatch.setattr(TokenRateThrottle, "_unreachable_until", 0.0)


def exhaust(client: APIClient) -> None:
    for _ in range(LIMIT):
        assert client.get(URL).status_code == 200


def assert_throttled(response) -> None:
    body = assert_problem(response, 429)
    assert body["type"] == "urn:opmodel:problem:throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_an_exhausted_token_gets_a_429_problem_with_retry_after(alice):
    client = api_as(alice)
    exhaust(client)

    assert_throttled(client.get(URL))
    assert_throttled(client.post(URL, {"title": "Throttled", "business_unit": "Ops"}, format="json"))


def test_each_token_of_a_user_has_its_own_bucket(alice):
    first, second = api_as(alice), api_as(alice)
    exhaust(first)

    assert first.get(URL).status_code == 429
    assert second.get(URL).status_code == 200


def test_session_callers_are_counted_per_user(alice, sam):
    browser = APIClient()
    browser.force_login(alice)
    exhaust(browser)
    other = APIClient()
    other.force_login(sam)

    assert_throttled(browser.get(URL))
    assert other.get(URL).status_code == 200
    assert api_as(alice).get(URL).status_code == 200  # her tokens are counted apart from her browser


def test_the_token_throttle_is_the_default_with_the_configured_rate():
    (throttle,) = api_settings.DEFAULT_THROTTLE_CLASSES
    assert throttle is TokenRateThrottle
    rate = os.environ.get("API_THROTTLE_RATE", "6000/minute")
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"token": rate}
    # A dummy cache would silently never throttle.
    assert not isinstance(caches["throttle"], DummyCache)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="without REDIS_URL each process counts on its own")
def test_every_web_process_counts_against_one_limit_in_redis(alice):
    client = api_as(alice)
    exhaust(client)
    token = ApiToken.objects.filter(user=alice).latest("pk")
    key = TokenRateThrottle.cache_format % {"scope": "token", "ident": f"token-{token.pk}"}

    assert isinstance(caches["throttle"], RedisCache)
    assert redis.Redis.from_url(settings.REDIS_URL).exists(caches["throttle"].make_key(key))
    # Another process: a connection of its own to the same store, which sees the bucket full.
    assert len(caches.create_connection("throttle").get(key)) == LIMIT
    assert_throttled(client.get(URL))


def test_an_unreachable_store_lets_requests_through(alice, settings, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        },
    }
    client = api_as(alice)

    with caplog.at_level(logging.WARNING, logger="governance.authentication"):
        for _ in range(LIMIT + 2):
            assert client.get(URL).status_code == 200  # unthrottled, never a 500

    assert [r.getMessage() for r in caplog.records].count(next(iter(caplog.records)).getMessage()) == 1
    assert "unreachable" in caplog.records[0].getMessage()
