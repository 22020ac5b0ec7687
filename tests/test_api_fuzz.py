"""Schemathesis fuzzes every operation of /api/schema/ in-process, as a leader with a token and with a session.

Its coverage, examples and fuzzing phases call each operation alone; the stateful phase chains
operations along the links schemathesis infers from the schema (a created initiative's slug fed
to its roles, say). No request may end in a server error, and every response must be documented:
its status code, its content type, its headers and its body. The run is bounded and derandomized
so that CI is repeatable; for a deeper local search:
FUZZ_MAX_EXAMPLES=200 FUZZ_STATEFUL_EXAMPLES=100 FUZZ_RANDOM=1 make test PYTEST_ARGS="-m fuzz".
"""

import os
import zlib

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import wsgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from governance.foundation import services as foundation
from governance.library import services as library
from governance.models import Control
from governance.shadow import services as shadow
from governance.tokens import issue_token
from initiatives.models import Role
from kpis import services as kpi_services
from kpis.ingest import record_measurements
from opmodel.wsgi import application
from tests.lifecycle import api_as, assert_problem, decide, give_role, request

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
RANDOM = bool(os.environ.get("FUZZ_RANDOM"))


@pytest.fixture
def known(settings, lee, initiative, make_initiative, alice, sam, dana, rita):
    """Real objects behind the path parameters, so that detail operations reach past their 404."""
    settings.ALLOWED_HOSTS = [wsgi.HOST, "testserver"]
    # As `make run` serves it: with DEBUG on, Django's own 404 and 500 pages are HTML tracebacks.
    settings.DEBUG = True
    # The WSGI handler closes "old" connections around each request, which would end the test's
    # transaction; Django's test client disconnects these receivers in the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield _seed(initiative, alice, dana, rita, held=make_initiative("Invoice matching"), sam=sam)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=["token", "session"])
def credentials(request, lee) -> dict:
    """How the leader signs each call: an API token, or a browser session with its CSRF token."""
    if request.param == "token":
        return {"headers": {"Authorization": f"Token {issue_token(acting_user=lee, user=lee, name='fuzz')[1]}"}}
    browser = Client()
    browser.force_login(lee)
    csrf = _get_new_csrf_string()
    # DRF checks the header against the cookie on unsafe methods only; sending it always is what a page's script does.
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {
            django_settings.SESSION_COOKIE_NAME: browser.cookies[django_settings.SESSION_COOKIE_NAME].value,
            django_settings.CSRF_COOKIE_NAME: csrf,
        },
    }


def _call_kwargs(case, credentials: dict) -> dict:
    # Generated headers (an Authorization the coverage phase made up, say) give way to the leader's own.
    return {"headers": {**(case.headers or {}), **credentials["headers"]}, "cookies": credentials.get("cookies")}


def _seed(initiative, alice, dana, rita, *, held, sam) -> dict:
    """An initiative with a KPI and a measurement, a data source, assets, a label request and a gate review.

    Another initiative's review was put on hold: a decision that fills no role.
    """
    decide(request(held, alice), sam, "hold", comment="After the Q3 budget.")
    driver = kpi_services.add_driver(initiative.pk, acting_user=alice, name="Faster handling")
    kpi = kpi_services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=driver,
        key="support.handle-time",
        name="Handling time",
        unit="min",
        kind="lagging",
        direction="decrease",
        baseline_value=12,
        target_value=9.6,
    )
    record_measurements([{"kpi": kpi.key, "timestamp": "2026-01-05T09:00:00+00:00", "value": 11.5}], acting_user=alice)
    source = foundation.save_data_source(initiative.pk, acting_user=alice, name="Ticket history", system="Zendesk")
    role = give_role(initiative, Role.PLATFORM_ENGINEERING, dana, by=alice)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    prompt = library.create_asset(
        acting_user=dana, name="Ticket triage prompt", type="prompt-template", content="Route {{ticket_text}}."
    )
    requirement = library.create_asset(
        acting_user=dana, name="EU data residency", type="security-requirement", content="# Data\n\nStays in the EU.\n"
    )
    label_request = library.move_label(requirement.pk, acting_user=dana, name="recommended", version_number=1)
    review = request(initiative, alice)
    shadow_use = shadow.record_shadow_use(
        acting_user=rita, tool="ChatGPT (personal accounts)", team="Customer Support", people=14, found_via="survey"
    )
    return {
        "initiative": initiative.slug,
        "asset": prompt.slug,
        "number": 1,
        "key": kpi.key,
        "gate-review": review.pk,
        "label-request": label_request.pk,
        "assignment_id": role.pk,
        "source_id": source.pk,
        "control_key": Control.objects.values_list("key", flat=True).first(),
        "shadow-ai": shadow_use.pk,
    }


def _use_known_objects(case, known: dict) -> None:
    """Point three cases in four at real objects; the rest keep their generated (mostly unknown) values."""
    params = case.path_parameters or {}
    if not params or zlib.crc32(repr(sorted(params.items())).encode()) % 4 == 0:
        return
    resource = case.operation.path.split("/")[3]  # /api/v1/<resource>/...
    for name in params:
        if name in ("slug", "id"):
            params[name] = known[
                {"initiatives": "initiative", "assets": "asset", "shadow-ai": "shadow-ai"}.get(resource, resource[:-1])
            ]
        elif name in known:
            params[name] = known[name]
    case.path_parameters = params


# Loaded once at collection, as a client would fetch it; building the schema needs no database.
# (The lazy `schemathesis.pytest.from_fixture` loader does not run on pytest 9.)
with override_settings(ALLOWED_HOSTS=[wsgi.HOST]):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "10")),
    derandomize=not RANDOM,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, known, credentials):
    _use_known_objects(case, known)
    case.call_and_validate(**_call_kwargs(case, credentials), checks=CHECKS)


def test_the_stateful_phase_has_links_to_follow():
    # Without links the stateful test below would chain nothing and pass vacuously.
    links = [link for op in schema.as_state_machine()._transitions.operations.values() for link in op.outgoing]
    assert len(links) >= 50
    assert {"POST /api/v1/initiatives/", "POST /api/v1/gate-reviews/", "POST /api/v1/assets/"} <= {
        link.source.label for link in links
    }


def test_call_sequences_answer_as_documented(known, credentials):
    class Workflow(schema.as_state_machine()):
        # Each scenario starts from the same database: what one scenario created must not decide
        # which links the next can follow, or hypothesis sees its replays draw differently.
        def setup(self):
            self.scenario = transaction.atomic()
            self.scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.scenario.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            return _call_kwargs(case, credentials)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Workflow.run(
        settings=settings(
            max_examples=int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "15")),
            stateful_step_count=6,
            derandomize=not RANDOM,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )


@pytest.mark.parametrize("field", ["kpi", "source"])
def test_a_null_character_in_an_ingested_item_is_a_400_not_a_500(known, lee, field):
    # Found by the fuzz run on PostgreSQL, whose text columns cannot hold NUL.
    item = {"kpi": known["key"], "timestamp": "2026-01-05T10:00:00+00:00", "value": 1, "source": "api"}
    item[field] += "\x00"

    response = api_as(lee).post("/api/v1/measurements/", {"measurements": [item]}, format="json")

    assert_problem(response, 400, field)


def test_an_unknown_api_url_is_a_problem_not_the_html_page(client, settings):
    settings.DEBUG = True  # as make run serves it, where Django's technical 404 page would answer
    assert_problem(client.get("/api/v1/no-such-thing/"), 404)
    assert_problem(client.get("/api/"), 404)
    # Found by the call sequences: Django's <path:> converter does not match a newline.
    assert_problem(client.post("/api/v1/initiatives/a%0A/data-sources/", {}), 404)
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
