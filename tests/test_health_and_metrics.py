"""/healthz, /readyz and /metrics in the process, and the JSON log lines (opmodel/ops.py, opmodel/logs.py).

The broker failures are real: a port where nothing listens, and a server that accepts the connection and
never answers (tests/test_redis_outage.py's HungBroker). A migration is made unapplied by deleting its row
from django_migrations, which is what `migrate` reads. A real PostgreSQL outage, gunicorn's JSON output
and the metrics of separate web and worker processes are in tests/test_health_e2e.py.
"""

import io
import json
import logging
import subprocess
import sys
import textwrap

import pytest
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from governance.models import EventType, Gate, WebhookDelivery, WebhookEndpoint, WebhookEvent
from initiatives.models import Initiative
from kpis.recompute import recompute_scorecards
from opmodel import ops
from opmodel.logs import use_json
from tests.celery_processes import BASE_DIR
from tests.lifecycle import api_as, assert_problem, request
from tests.test_redis_outage import free_port, hung_broker

TOKEN = "metrics-token-for-tests-0123456789"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client=None, **headers) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return samples(response.content.decode())


@pytest.fixture
def broker_at(settings):
    """Point /readyz at another broker for one test."""

    def point(url: str) -> None:
        settings.CELERY_BROKER_URL = url

    return point


# /healthz


@pytest.mark.django_db
def test_healthz_answers_anyone_without_touching_the_database(django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert "no-cache" in response["Cache-Control"]
    for path in ("/healthz", "/readyz", "/metrics"):  # GET and HEAD only: nothing for CSRF to guard
        assert client.post(path).status_code == 405, path
        assert client.head(path).status_code == 200, path


@pytest.mark.django_db
def test_the_endpoints_answer_probes_whatever_their_host_and_scheme(settings):
    # A probe sends the container's address; HTTPS_ONLY redirects every other plain-HTTP request.
    settings.ALLOWED_HOSTS = ["opmodel.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    client = Client(HTTP_HOST="10.1.2.3:8000")
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200, path
    assert client.get("/accounts/login/").status_code == 400  # every other page still checks the host


# /readyz


@pytest.mark.django_db
def test_readyz_is_200_when_the_database_broker_and_migrations_are_in_order():
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok", "migrations": "ok"}}


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_nothing_listens_there(broker_at, caplog):
    broker_at(f"redis://127.0.0.1:{free_port()}/0")
    response = Client().get("/readyz")
    body = assert_problem(response, 503, "broker")
    assert body["type"] == "urn:opmodel:problem:not-ready"
    assert body["checks"] == {"database": "ok", "broker": "unreachable", "migrations": "ok"}
    assert body["detail"] == "Not ready: broker unreachable."
    assert response["Retry-After"] == "5"
    # The reason is in the log, not in the anonymous answer.
    assert "Connection refused" in caplog.text and "refused" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_gives_up_on_a_broker_that_never_answers(broker_at):
    with hung_broker() as hung:
        broker_at(f"redis://127.0.0.1:{hung.port}/0")
        body = assert_problem(Client().get("/readyz"), 503, "broker")
        assert hung.received  # it did reach the hung server, and timed out there
    assert body["checks"]["broker"] == "unreachable"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_migrations_until_every_one_is_applied(caplog):
    leaf = max(name for app, name in MigrationLoader(None).graph.leaf_nodes() if app == "kpis")
    MigrationRecorder.Migration.objects.filter(app="kpis", name=leaf).delete()

    body = assert_problem(Client().get("/readyz"), 503, "migrations")

    assert body["checks"] == {"database": "ok", "broker": "ok", "migrations": "1 not applied"}
    assert f"kpis.{leaf}" in caplog.text  # the row comes back with the test's rollback


# /metrics


@pytest.mark.django_db
def test_metrics_count_ingested_measurements_and_time_the_batches(kpi, alice):
    key = ("opmodel_measurements_ingested_total", (("channel", "api"), ("outcome", "created")))
    unchanged = ("opmodel_measurements_ingested_total", (("channel", "api"), ("outcome", "unchanged")))
    batches = ("opmodel_ingest_batch_duration_seconds_count", (("channel", "api"),))
    before = scrape()
    batch = {
        "measurements": [
            {"kpi": kpi.key, "timestamp": f"2026-03-0{day}T09:00:00Z", "value": 9.5 + day} for day in range(1, 4)
        ]
    }
    api = api_as(alice)
    assert api.post("/api/v1/measurements/", batch, format="json").json()["created"] == 3
    assert api.post("/api/v1/measurements/", batch, format="json").json()["unchanged"] == 3
    assert api.post("/api/v1/measurements/", {"measurements": [{"kpi": "nope"}]}, format="json").status_code == 400

    after = scrape()
    assert after[key] - before.get(key, 0) == 3
    assert after[unchanged] - before.get(unchanged, 0) == 3
    assert after[batches] - before.get(batches, 0) == 2  # the refused batch is not one


@pytest.mark.django_db
def test_metrics_time_the_recompute_and_read_dirty_initiatives_and_open_reviews(make_initiative, alice):
    duration = ("opmodel_scorecard_recompute_duration_seconds_count", (("scope", "dirty"),))
    first, second = make_initiative("First"), make_initiative("Second")
    recompute_scorecards()
    before = scrape()
    Initiative.objects.filter(pk__in=[first.pk, second.pk]).mark_dirty()
    request(first, alice)

    now = scrape()
    assert now[("opmodel_initiatives_dirty", ())] == 2
    assert now[("opmodel_scorecard_dirty_oldest_seconds", ())] >= 0
    open_reviews = {labels[0][1]: v for (name, labels), v in now.items() if name == "opmodel_gate_reviews_open"}
    assert open_reviews == {gate: (1 if gate == Gate.CHARTER_SIGNOFF else 0) for gate in Gate.values}
    assert now[("opmodel_database_gauges_ok", ())] == 1

    assert recompute_scorecards().recomputed == 2
    after = scrape()
    assert after[("opmodel_initiatives_dirty", ())] == 0
    assert after[duration] - before.get(duration, 0) == 1
    recomputed = ("opmodel_scorecards_recomputed_total", (("scope", "dirty"),))
    assert after[recomputed] - before.get(recomputed, 0) == 2


@pytest.mark.django_db
def test_metrics_count_the_webhook_delivery_log_by_kind_and_outcome():
    hook = WebhookEndpoint.objects.create(name="ERP", kind="webhook", url="https://erp.example/hooks", event_types=[])
    slack = WebhookEndpoint.objects.create(
        name="Ops", kind="slack", url="https://hooks.slack.example/x", event_types=[]
    )
    events = [
        WebhookEvent.objects.create(event_type=EventType.INITIATIVE_CREATED, occurred_at=timezone.now())
        for _ in range(3)
    ]
    for event, status in zip(events, ("pending", "delivered", "delivered"), strict=True):
        WebhookDelivery.objects.create(event=event, endpoint=hook, status=status)
    WebhookDelivery.objects.create(event=events[0], endpoint=slack, status="failed")

    found = {
        dict(labels)["kind"] + " " + dict(labels)["outcome"]: value
        for (name, labels), value in scrape().items()
        if name == "opmodel_webhook_deliveries" and value
    }

    assert found == {"webhook pending": 1, "webhook delivered": 2, "slack failed": 1}


@pytest.mark.django_db
def test_metrics_hold_django_prometheus_request_metrics():
    Client().get("/accounts/login/")
    names = {name for name, _ in scrape()}
    assert "django_http_requests_total_by_method_total" in names
    assert "django_http_responses_total_by_status_total" in names


@pytest.mark.django_db
def test_metrics_take_the_bearer_token_when_one_is_set(settings, monkeypatch):
    settings.METRICS_TOKEN = TOKEN
    compared = []
    real = ops.hmac.compare_digest
    monkeypatch.setattr(ops.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    client = Client()

    missing = client.get("/metrics")
    assert_problem(missing, 401)
    assert missing["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert_problem(client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}"), 401)
    assert_problem(client.get("/metrics", HTTP_AUTHORIZATION="Bearer "), 401)
    wrong = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN[:-1]}x")
    assert_problem(wrong, 403)
    assert "opmodel_" not in wrong.content.decode()

    assert ("opmodel_database_gauges_ok", ()) in scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    # Every guess went through the constant-time comparison.
    assert compared == [(f"{TOKEN[:-1]}x".encode(), TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


@pytest.mark.django_db
def test_metrics_files_of_several_processes_are_added_up(tmp_path):
    """Two processes, as gunicorn's and Celery's workers, each count in their own file; /metrics sums them."""
    code = textwrap.dedent(
        """
        import sys
        from opmodel import metrics
        metrics.record_ingest("api", created=int(sys.argv[1]), updated=0, unchanged=0, seconds=0.2)
        metrics.record_recompute(full=False, recomputed=1, seconds=0.5)
        """
    )
    for process, created in (("web", "4"), ("worker", "3"), ("web", "5")):
        folder = tmp_path / process
        folder.mkdir(exist_ok=True)
        env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(folder)}
        subprocess.run([sys.executable, "-c", code, created], cwd=BASE_DIR, env=env, check=True, timeout=60)  # noqa: S603

    assert len(list(tmp_path.glob("*/*.db"))) >= 3
    registry = CollectorRegistry()
    registry.register(ops.ProcessFiles(tmp_path))
    found = samples(generate_latest(registry).decode())
    assert found[("opmodel_measurements_ingested_total", (("channel", "api"), ("outcome", "created")))] == 12
    assert found[("opmodel_ingest_batch_duration_seconds_count", (("channel", "api"),))] == 3
    assert found[("opmodel_scorecard_recompute_duration_seconds_count", (("scope", "dirty"),))] == 3


# JSON logs


@pytest.fixture
def json_lines():
    """What the root logger writes through a JSON handler (opmodel.logs.use_json), as parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    use_json(handler)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    access = logging.getLogger("opmodel.access")
    access_level = access.level
    access.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        access.setLevel(access_level)


@pytest.mark.django_db
def test_every_line_logged_during_a_request_carries_its_id(json_lines, broker_at):
    broker_at(f"redis://127.0.0.1:{free_port()}/0")
    response = Client().get("/readyz", HTTP_X_REQUEST_ID="probe-42.a_b")
    assert response["X-Request-ID"] == "probe-42.a_b"

    lines = json_lines()
    by_logger = {line["logger"]: line for line in lines}
    assert {"opmodel.ops", "opmodel.access", "django.request"} <= set(by_logger)
    assert {line["request_id"] for line in lines} == {"probe-42.a_b"}
    # Django's own line is written after the middleware returned: the id comes from the request it names.
    assert by_logger["django.request"]["message"] == "Service Unavailable: /readyz"
    assert by_logger["opmodel.access"] | {"time": "", "duration_ms": 0} == {
        "time": "",
        "level": "INFO",
        "logger": "opmodel.access",
        "message": "GET /readyz 503",
        "request_id": "probe-42.a_b",
        "method": "GET",
        "path": "/readyz",
        "status": 503,
        "duration_ms": 0,
    }
    assert by_logger["opmodel.ops"]["time"].endswith("Z")


class Boom:
    """Middleware that fails every request with a bug."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise RuntimeError("a bug in the tests' middleware")


@pytest.mark.django_db
def test_an_error_and_its_traceback_carry_the_request_id_and_an_unsafe_id_is_replaced(json_lines, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_health_and_metrics.Boom"]
    response = Client(raise_request_exception=False).get("/portfolio/", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert response.status_code == 500
    generated = response["X-Request-ID"]
    assert len(generated) == 32 and generated.isalnum()
    error = next(line for line in json_lines() if line["logger"] == "django.request")
    assert error["level"] == "ERROR" and error["request_id"] == generated
    assert "RuntimeError: a bug in the tests' middleware" in error["exc_info"]
    assert {line["request_id"] for line in json_lines()} == {generated}
