"""API throttling: API_THROTTLE_RATE per token (per user for session callers); 429 problem+json with Retry-After.

The throttle counts in the default cache (CACHES: a per-process LocMemCache in every environment,
CI included), so each test starts from an empty cache and a rate small enough to exhaust.
"""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.dummy import DummyCache
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from governance.authentication import TokenRateThrottle
from tests.lifecycle import api_as, assert_problem

pytestmark = pytest.mark.django_db
URL = "/api/v1/initiatives/"
LIMIT = 3


@pytest.fixture(autouse=True)
def small_rate(monkeypatch):
    # DRF reads THROTTLE_RATES once, when the class is created, so override_settings would not reach it.
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": f"{LIMIT}/minute"})
    cache.clear()
    yield
    cache.clear()


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
    assert not isinstance(TokenRateThrottle.cache, DummyCache)
