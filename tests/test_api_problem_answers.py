"""Every answer under /api/ is problem+json, whatever DEBUG says: never Django's HTML pages.

404 for a path no route matches (with DEBUG on Django would show its technical 404 page), 405,
413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE (DRF would read it whole), 415 and 500. A 500
still reaches the log and the test client, which re-raises it unless told not to.
"""

import json
import logging

import pytest
from django.core.signals import got_request_exception
from django.test import Client

from initiatives.api import InitiativeViewSet
from initiatives.models import Initiative
from tests.lifecycle import api_as, assert_problem

pytestmark = pytest.mark.django_db

UNROUTED = [
    "/api/v1/no-such-thing/",
    "/api/v1/gate-reviews/null,null/checklist/",
    "/api/v1/initiatives/support-triage/roles/%C2%84/",
    "/api/v1/initiatives/support-triage/data-sources/x/",
    "/api/v1/initiatives",
    "/api/",
]


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize("path", UNROUTED)
def test_an_unrouted_api_path_is_a_problem_404(debug, alice, path):
    for method in ("get", "post", "delete"):
        body = assert_problem(getattr(api_as(alice), method)(path), 404)
        assert body["type"] == "urn:opmodel:problem:not-found"


def test_an_unrouted_path_names_the_route_it_missed_by_a_trailing_slash(alice):
    body = assert_problem(api_as(alice).get("/api/v1/initiatives"), 404)

    assert "/api/v1/initiatives/" in body["detail"]


def test_an_unrouted_path_is_a_problem_to_an_anonymous_caller_and_to_a_session_without_csrf(debug, alice):
    assert_problem(Client().get("/api/v1/no-such-thing/"), 404)
    session = Client(enforce_csrf_checks=True)
    session.force_login(alice)
    assert_problem(session.post("/api/v1/no-such-thing/", {}, content_type="application/json"), 404)


def test_pages_keep_the_html_404(client):
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_a_method_the_route_does_not_allow_is_a_problem_405(debug, alice):
    body = assert_problem(api_as(alice).delete("/api/v1/measurements/"), 405)

    assert body["type"] == "urn:opmodel:problem:method-not-allowed"


def test_a_body_over_the_upload_limit_is_a_problem_413_and_nothing_is_written(debug, settings, alice):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"title": "Big", "business_unit": "Support", "outcome_statement": "x" * 2000})

    body = assert_problem(api_as(alice).post("/api/v1/initiatives/", payload, content_type="application/json"), 413)

    assert body["type"] == "urn:opmodel:problem:request-too-large"
    assert "1000 bytes" in body["detail"]
    assert not Initiative.objects.exists()


def test_a_body_within_the_upload_limit_is_read(settings, alice):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api_as(alice).post("/api/v1/initiatives/", {"title": "Small", "business_unit": "Support"}, format="json")

    assert response.status_code == 201, response.content


def test_a_body_of_another_media_type_is_a_problem_415(debug, alice):
    response = api_as(alice).post("/api/v1/measurements/", "<xml/>", content_type="application/xml")

    assert_problem(response, 415)


@pytest.fixture
def broken_list(monkeypatch):
    def fail(self, request, *args, **kwargs):
        raise RuntimeError("a bug in a view")

    monkeypatch.setattr(InitiativeViewSet, "list", fail)


def test_a_bug_is_a_problem_500_without_a_traceback(debug, broken_list, alice, caplog):
    seen = []

    def record(sender, request, **kwargs):
        seen.append(request.path)

    got_request_exception.connect(record)
    client = api_as(alice)
    client.raise_request_exception = False
    try:
        with caplog.at_level(logging.ERROR, logger="django.request"):
            response = client.get("/api/v1/initiatives/")
    finally:
        got_request_exception.disconnect(record)

    body = assert_problem(response, 500)
    assert body["type"] == "urn:opmodel:problem:server-error"
    assert "RuntimeError" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert seen == ["/api/v1/initiatives/"]  # the signal still fires: Sentry-style handlers and the test client see it
    assert [r.exc_info[1] for r in caplog.records if r.exc_info][0].args == ("a bug in a view",)


def test_the_test_client_still_raises_the_bug(broken_list, alice):
    with pytest.raises(RuntimeError, match="a bug in a view"):
        api_as(alice).get("/api/v1/initiatives/")
