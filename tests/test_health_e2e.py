"""Health, metrics and JSON logs with the real processes: `python -m opmodel web` (gunicorn, two workers)
and `worker` (Celery), on PostgreSQL and Redis.

1. /readyz follows a private PostgreSQL cluster (tests/test_postgres_restart.py's): an empty database is
   503 naming the migrations; after `migrate`, 200; with the cluster stopped, 503 naming the database while
   /healthz stays 200; started again, 200, from the same gunicorn workers. docker-compose's health check
   (`python -m opmodel healthcheck-web`) exits 0 or 1 with it. With LOG_FORMAT=json every line gunicorn
   and Django write is JSON, and each line written while a request was handled names its id.
2. /metrics on web adds up the ingest counted in the gunicorn workers and the recompute timed in the Celery
   worker, through their files under OPMODEL_VAR_DIR/metrics; the worker's health check pings it.
"""

import json
import subprocess
import sys

import pytest
import requests
from django.db import connection

from governance.tokens import issue_token
from tests.celery_processes import BASE_DIR, CeleryProcesses, celery_worker_and_beat, wait_for
from tests.test_health_and_metrics import samples
from tests.test_postgres_restart import cluster  # noqa: F401 - the fixture
from tests.test_redis_outage import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL), as CI runs it"),
]

TOKEN = "e2e-metrics-token-0123456789"
REDIS_DB = 10  # the worker test's broker; flushed first


def get(base: str, path: str, **headers) -> requests.Response:
    return requests.get(base + path, headers=headers, timeout=30)


def answers(base: str) -> bool:
    try:
        return get(base, "/healthz").status_code == 200
    except requests.RequestException:
        return False


def healthcheck(name: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "opmodel", f"healthcheck-{name}"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_readyz_follows_a_real_postgresql_through_migrate_stop_and_start(cluster, tmp_path):  # noqa: F811
    port = free_port()
    environment = cluster.web_environment(tmp_path, port) | {"LOG_FORMAT": "json"}
    base = f"http://127.0.0.1:{port}"
    processes = CeleryProcesses(tmp_path, environment)
    processes.start("web")
    try:
        wait_for(lambda: answers(base), 60, "gunicorn to answer /healthz", processes)

        empty = get(base, "/readyz")
        assert empty.status_code == 503, empty.text
        checks = empty.json()["checks"]
        assert checks["database"] == "ok" and checks["broker"] == "ok"
        assert checks["migrations"].endswith(" not applied") and int(checks["migrations"].split()[0]) > 20
        assert healthcheck("web", environment).returncode == 1

        migrate = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        assert get(base, "/readyz").json() == {
            "status": "ready",
            "checks": {"database": "ok", "broker": "ok", "migrations": "ok"},
        }
        ready = healthcheck("web", environment)
        assert ready.returncode == 0, ready.stdout + ready.stderr

        cluster.stop()
        down = get(base, "/readyz", **{"X-Request-ID": "while-down"})
        assert down.status_code == 503
        assert down.headers["Content-Type"] == "application/problem+json"
        assert down.json()["checks"] == {
            "database": "unreachable",
            "broker": "ok",
            "migrations": "not checked: no database",
        }
        assert [e["field"] for e in down.json()["errors"]] == ["database", "migrations"]
        assert get(base, "/healthz").status_code == 200  # alive: nothing to restart
        failed = healthcheck("web", environment)
        assert failed.returncode == 1 and "503" in failed.stderr
        # Token authentication needs the database: 503 problem+json, logged with the request's id.
        api = get(base, "/api/v1/initiatives/", Authorization="Token some-token", **{"X-Request-ID": "api-while-down"})
        assert api.status_code == 503

        cluster.start()
        wait_for(lambda: get(base, "/readyz").status_code == 200, 30, "/readyz once PostgreSQL is back", processes)
    finally:
        processes.stop()

    lines = [line for line in (tmp_path / "web.log").read_text().splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    assert any(line["logger"] == "gunicorn.error" for line in parsed)  # gunicorn's own lines too
    # One access line per request, opmodel.access's with the request id; gunicorn's is off.
    assert not any(line["logger"] == "gunicorn.access" for line in parsed)
    down_lines = [line for line in parsed if line.get("request_id") == "while-down"]
    assert {line["logger"] for line in down_lines} == {"opmodel.ops", "opmodel.access", "django.request"}
    assert any("Readiness: the database does not answer" in line["message"] for line in down_lines)
    api_lines = [line for line in parsed if line.get("request_id") == "api-while-down"]
    assert any("Database unavailable for GET /api/v1/initiatives/" in line["message"] for line in api_lines)
    by_logger = {line["logger"]: line for line in api_lines}
    assert by_logger["django.request"]["message"] == "Service Unavailable: /api/v1/initiatives/"
    assert by_logger["opmodel.access"]["status"] == 503


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_metrics_add_up_the_gunicorn_workers_and_the_celery_worker(tmp_path, kpi, alice):
    _, key = issue_token(acting_user=alice, user=alice, name="health e2e")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"SCORECARD_RECOMPUTE_SECONDS": "2", "METRICS_TOKEN": TOKEN, "LOG_FORMAT": "json"}
    created = ("opmodel_measurements_ingested_total", (("channel", "api"), ("outcome", "created")))
    recomputes = ("opmodel_scorecard_recompute_duration_seconds_count", (("scope", "dirty"),))

    def scraped():
        response = get(base, "/metrics", Authorization=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.text[:300]
        return samples(response.text)

    with celery_worker_and_beat(tmp_path, redis_db=REDIS_DB, env=env) as processes:
        web_env = {"BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "DEBUG": "0", "HTTPS_ONLY": "0"}
        processes.start("web", env={**web_env, "ALLOWED_HOSTS": "127.0.0.1"})
        wait_for(lambda: answers(base), 60, "gunicorn to answer /healthz", processes)
        assert get(base, "/metrics").status_code == 401

        for day in range(1, 7):  # one connection each: gunicorn's two workers share them
            body = {"measurements": [{"kpi": kpi.key, "timestamp": f"2026-03-0{day}T09:00:00Z", "value": day}]}
            pushed = requests.post(
                f"{base}/api/v1/measurements/", json=body, headers={"Authorization": f"Token {key}"}, timeout=30
            )
            assert pushed.json()["created"] == 1, pushed.text

        found = wait_for(
            lambda: (m := scraped()).get(recomputes, 0) >= 1 and m, 60, "the worker's recompute on /metrics", processes
        )
        assert found[created] == 6
        assert found[("opmodel_ingest_batch_duration_seconds_count", (("channel", "api"),))] == 6
        assert found[("opmodel_initiatives_dirty", ())] in (0, 1)
        assert list((tmp_path / "metrics" / "web").glob("*.db")) and list(
            (tmp_path / "metrics" / "worker").glob("*.db")
        )

        pinged = healthcheck("worker", processes.environment)
        assert pinged.returncode == 0, pinged.stdout + pinged.stderr
        worker_lines = [json.loads(line) for line in processes.worker_log.read_text().splitlines() if line.strip()]
        assert any(line["message"].endswith(" ready.") for line in worker_lines)
        task_lines = [line for line in worker_lines if line.get("task_name") == "kpis.tasks.recompute_scorecards_task"]
        assert task_lines and all(line["task_id"] for line in task_lines)

    unanswered = healthcheck("worker", processes.environment)
    assert unanswered.returncode != 0
