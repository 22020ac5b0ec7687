"""Walk every URL pattern: anonymous users get a login redirect (pages) or a 401 problem (API)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from opmodel.api import unrouted

# Reachable without logging in, on purpose.
PUBLIC = (
    r"^accounts/login/",
    r"^accounts/logout/",
    r"^accounts/oidc/",  # single sign-on's start and callback: 404 while it is off (tests/test_sso.py)
    r"^accounts/password_reset/",
    r"^accounts/reset/",
    r"^api/schema/",
    r"^api/docs/",
    r"^admin/",  # the admin has its own login page
    # For orchestrators (tests/test_health_and_metrics.py); /metrics takes METRICS_TOKEN when one is set.
    r"^healthz$",
    r"^readyz$",
    r"^metrics$",
)
SAMPLE = {
    "slug": "some-initiative",
    "key": "some.kpi",
    "pk": "1",
    "id": "1",
    "assignment_id": "1",
    "driver_id": "1",
    "control_key": "access-policy",
    "number": "1",
    "format": "json",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.callback is not unrouted:
            # The /api/ catch-all is a 404 to everyone (tests/test_api_problem_answers.py), not a route.
            yield prefix + str(entry.pattern)


def _concrete(pattern: str) -> str | None:
    path = pattern.replace("^", "").replace("$", "").replace("\\Z", "")
    if "(?P<format>" in path or "(?P<url>" in path or "(?P<app_label>" in path:
        return None  # format-suffix twins and the admin's catch-alls: covered by their plain routes
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE.get(m.group(1), "1"), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE.get(m.group(1), "1"), path)
    path = path.replace("\\.", ".").replace("/?", "/")
    if any(ch in path for ch in "()[]*+?\\"):
        return None
    return "/" + path


def _urls() -> list[str]:
    urls = {_concrete(p) for p in _walk(get_resolver().url_patterns)}
    return sorted(u for u in urls if u and not any(re.match(rx, u.lstrip("/")) for rx in PUBLIC))


@pytest.mark.parametrize("url", _urls())
def test_anonymous_users_are_turned_away(client, db, url):
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if url.startswith("/api/"):
            assert response.status_code in (401, 405), (method, url, response.status_code)
            if response.status_code == 401:
                assert response["Content-Type"] == "application/problem+json"
        else:
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), (method, url)


def test_the_walk_covers_the_pages_and_the_api():
    urls = _urls()
    assert len(urls) > 60
    assert {"/", "/portfolio/", "/approvals/", "/library/", "/api/v1/initiatives/", "/api/v1/measurements/"} <= set(
        urls
    )
