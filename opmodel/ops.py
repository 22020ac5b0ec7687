"""For orchestrators, without login: /healthz, /readyz and /metrics (README: "Health and metrics").

- /healthz: the process answers. Touches nothing else, so a database outage does not get web restarted.
- /readyz: the database answers, the Celery broker accepts a connection and every migration on disk is
  applied; else 503 problem+json naming the checks that failed (the reasons go to the log, not to the
  anonymous caller).
- /metrics: Prometheus text format; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`.
  It holds django-prometheus's request metrics and OpModel's own (opmodel/metrics.py), added up over
  every gunicorn and Celery worker process through their files under METRICS_DIR (opmodel/__main__.py
  sets PROMETHEUS_MULTIPROC_DIR), and gauges read from the database now (DATABASE_GAUGES below).

OpsEndpointsMiddleware answers them, right after the request id is set and before anything reads the
Host header: a probe sends the container's own address, which ALLOWED_HOSTS rightly does not list, and
plain HTTP, which HTTPS_ONLY would redirect. None of them builds a URL from the Host header or touches the
session. Probes and scrapes are thus not counted in django-prometheus's request metrics either.
"""

import glob
import hmac
import logging
import os
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu.exceptions import KombuError
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from governance.models import Gate, GateReview, WebhookDelivery, WebhookEndpoint
from initiatives.models import Initiative
from opmodel.api import problem_json
from opmodel.celery import app as celery_app

logger = logging.getLogger(__name__)

# How long /readyz waits for the broker; a probe's own timeout is usually a few seconds.
BROKER_TIMEOUT_SECONDS = 2
READY_RETRY_AFTER_SECONDS = 5


@never_cache
@require_safe
def healthz(request) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@never_cache
@require_safe
def readyz(request) -> JsonResponse:
    checks = {"database": _check_database(), "broker": _check_broker()}
    checks["migrations"] = _check_migrations() if checks["database"] == "ok" else "not checked: no database"
    failed = [name for name, result in checks.items() if result != "ok"]
    if not failed:
        return JsonResponse({"status": "ready", "checks": checks})
    response = problem_json(
        503,
        f"Not ready: {', '.join(f'{name} {checks[name]}' for name in failed)}.",
        "not-ready",
        errors=[{"field": name, "message": checks[name]} for name in failed],
        checks=checks,
    )
    response["Retry-After"] = str(READY_RETRY_AFTER_SECONDS)
    return response


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Readiness: the database does not answer: %s", " ".join(str(error).split()))
        # A connection the database dropped is not reused by the next probe.
        connection.close_if_unusable_or_obsolete()
        return "unreachable"
    return "ok"


def _check_broker() -> str:
    try:
        with celery_app.connection_for_write(
            settings.CELERY_BROKER_URL,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options={
                "socket_timeout": BROKER_TIMEOUT_SECONDS,
                "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            },
        ) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
            broker.default_channel  # noqa: B018 - opens the channel: Redis answers a command here
    except (KombuError, OSError) as error:
        logger.warning("Readiness: the broker does not answer: %s", error)
        return "unreachable"
    return "ok"


def _check_migrations() -> str:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        logger.warning("Readiness: cannot read the applied migrations: %s", " ".join(str(error).split()))
        return "unreadable"
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan)
        logger.warning("Readiness: %d migration(s) not applied: %s", len(plan), names)
        return f"{len(plan)} not applied"
    return "ok"


# Gauges read from the database at scrape time: facts of the data, the same whichever process asks.
# Each function yields metric families; add one here (webhook deliveries by outcome, ...) to publish it.
def _dirty_initiatives() -> Iterable[Metric]:
    found = Initiative.objects.filter(scorecard_dirty_at__isnull=False).aggregate(
        count=Count("pk"), oldest=Min("scorecard_dirty_at")
    )
    yield GaugeMetricFamily(
        "opmodel_initiatives_dirty",
        "Initiatives whose scorecard waits for the next recompute.",
        value=found["count"],
    )
    age = (timezone.now() - found["oldest"]).total_seconds() if found["oldest"] else 0
    yield GaugeMetricFamily(
        "opmodel_scorecard_dirty_oldest_seconds",
        "How long the longest-waiting dirty initiative has waited for its recompute; 0 when none waits.",
        value=max(age, 0),
    )


def _open_reviews() -> Iterable[Metric]:
    counts = dict(
        GateReview.objects.filter(status=GateReview.Status.OPEN)
        .order_by()
        .values_list("gate")
        .annotate(count=Count("pk"))
    )
    family = GaugeMetricFamily(
        "opmodel_gate_reviews_open", "Gate reviews awaiting a decision, by gate.", labels=["gate"]
    )
    for gate in Gate.values:
        family.add_metric([gate], counts.get(gate, 0))
    yield family


def _webhook_deliveries() -> Iterable[Metric]:
    """The delivery log by outcome: pending (waiting for a first try or a retry), delivered, gave up; per kind
    of endpoint (webhook, Slack, Teams). Read from the log, so every process's deliveries count once."""
    counts = {
        (kind, status): count
        for kind, status, count in WebhookDelivery.objects.order_by()
        .values_list("endpoint__kind", "status")
        .annotate(count=Count("pk"))
    }
    family = GaugeMetricFamily(
        "opmodel_webhook_deliveries",
        "Webhook and chat deliveries in the delivery log, by endpoint kind and outcome.",
        labels=["kind", "outcome"],
    )
    for kind in WebhookEndpoint.Kind.values:
        for status in WebhookDelivery.Status.values:
            family.add_metric([kind, status], counts.get((kind, status), 0))
    yield family


DATABASE_GAUGES: tuple[Callable[[], Iterable[Metric]], ...] = (_dirty_initiatives, _open_reviews, _webhook_deliveries)


class DatabaseGauges:
    """DATABASE_GAUGES, and opmodel_database_gauges_ok: 0 when the database could not be read (the process
    metrics are still served)."""

    def collect(self) -> Iterable[Metric]:
        families: list[Metric] = []
        ok = 1
        try:
            for gauges in DATABASE_GAUGES:
                families.extend(gauges())
        except DatabaseError as error:
            logger.warning("Metrics: the database gauges could not be read: %s", " ".join(str(error).split()))
            families, ok = [], 0
        yield from families
        yield GaugeMetricFamily(
            "opmodel_database_gauges_ok", "1 when this scrape read the database gauges, else 0.", value=ok
        )


class ProcessFiles:
    """The metrics of every process that `python -m opmodel web` or `worker` started, added up: their
    files under METRICS_DIR/<process>/ (prometheus_client's multiprocess mode)."""

    def __init__(self, root):
        self.root = root

    def collect(self) -> Iterable[Metric]:
        files = sorted(glob.glob(os.path.join(self.root, "*", "*.db")))
        return MultiProcessCollector.merge(files, accumulate=True)


class ThisProcess:
    """Without PROMETHEUS_MULTIPROC_DIR (tests, runserver): the values this process holds."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry.register(ProcessFiles(settings.METRICS_DIR))
    else:
        registry.register(ThisProcess())
    registry.register(DatabaseGauges())
    return registry


def _refused(status: int, detail: str) -> JsonResponse:
    response = problem_json(status, detail, "not-authenticated" if status == 401 else "permission-denied")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
@require_safe
def metrics(request) -> HttpResponse:
    expected = settings.METRICS_TOKEN
    if expected:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _refused(401, "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.")
        # Constant time: how much of a guess matches does not show in how long the answer takes.
        if not hmac.compare_digest(given.strip().encode(), expected.encode()):
            return _refused(403, "That is not the metrics token.")
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(_registry()), content_type=content_type)


# The paths, without a trailing slash, and their views; opmodel/urls.py lists them too, for reverse().
ENDPOINTS = {"healthz": healthz, "readyz": readyz, "metrics": metrics}


class OpsEndpointsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = ENDPOINTS.get(request.path_info[1:])
        return view(request) if view else self.get_response(request)
