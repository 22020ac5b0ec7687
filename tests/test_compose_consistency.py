"""docker-compose.yml runs the same entry points as `make run` and only sets variables the code reads."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

from opmodel import ops
from opmodel.__main__ import COMMANDS, HEALTHCHECK_TIMEOUT_SECONDS, READY_PATH
from opmodel.env import metrics_dir

BASE_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = {"web", "worker", "beat"}
STRONG_SECRET_KEY = "k8#Qz2!vW9mR4tY7uP1sL6xN3bC5dF0gH-jK8lZ2qA4wE6rT9yU1iO3pS5"


def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def built_services() -> dict[str, dict]:
    """The services that run the project's own image (not postgres or redis)."""
    return {name: service for name, service in compose()["services"].items() if "build" in service}


def variables_read() -> set[str]:
    settings = (BASE_DIR / "opmodel" / "settings.py").read_text()
    entry_point = (BASE_DIR / "opmodel" / "__main__.py").read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', settings)) | set(
        re.findall(r'os\.environ\.get\(\s*"([A-Z0-9_]+)"', entry_point)
    )


def interpolated(value) -> str:
    """What compose puts in the container by default: ${X:-default} becomes default."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", str(value))


def test_web_worker_and_beat_run_the_opmodel_entry_point():
    services = built_services()

    assert set(services) >= APP_SERVICES
    for name in APP_SERVICES:
        assert services[name]["command"] == ["python", "-m", "opmodel", name]


def test_other_built_services_only_migrate():
    others = {name: s["command"] for name, s in built_services().items() if name not in APP_SERVICES}

    assert others == {"migrate": ["python", "manage.py", "migrate", "--noinput"]}
    for name in APP_SERVICES:
        assert built_services()[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


@pytest.mark.parametrize("service", sorted(APP_SERVICES | {"migrate"}))
def test_every_variable_a_service_sets_is_read_by_the_code(service):
    environment = built_services()[service]["environment"]

    assert set(environment) - variables_read() == set()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "AUDIT_KEY", "ALLOWED_HOSTS", "DEBUG", "HTTPS_ONLY"} <= set(
        environment
    )
    assert environment["DEBUG"] == "0"


def test_the_compose_environment_passes_the_deploy_security_checks(tmp_path):
    environment = {key: interpolated(value) for key, value in built_services()["web"]["environment"].items()}
    environment["SECRET_KEY"] = STRONG_SECRET_KEY  # compose refuses to start without one
    environment["AUDIT_KEY"] = STRONG_SECRET_KEY[::-1]  # nor without this
    environment |= {
        "PATH": "/usr/bin:/bin",
        "OPMODEL_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "opmodel.settings",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "(security." not in result.stdout + result.stderr


def test_web_and_worker_health_checks_run_the_entry_point():
    for name in ("web", "worker"):
        check = built_services()[name]["healthcheck"]
        assert check["test"] == ["CMD", "python", "-m", "opmodel", f"healthcheck-{name}"]
        assert f"healthcheck-{name}" in COMMANDS
        assert _seconds(check["timeout"]) > HEALTHCHECK_TIMEOUT_SECONDS
    assert "healthcheck" not in built_services()["beat"]  # beat serves nothing to ask


def test_the_web_health_check_asks_readyz_on_the_port_web_binds_and_publishes():
    web = built_services()["web"]
    port = interpolated(web["environment"]["BIND"]).rpartition(":")[2]
    assert f"{port}:{port}" in web["ports"]
    assert resolve(READY_PATH).func is ops.readyz


def test_web_and_worker_share_the_metrics_folder_the_code_reads(monkeypatch):
    """The worker's metric files reach web's /metrics through one volume, mounted where METRICS_DIR is."""
    monkeypatch.delenv("OPMODEL_VAR_DIR", raising=False)
    workdir = re.search(r"^WORKDIR (\S+)$", (BASE_DIR / "Dockerfile").read_text(), re.MULTILINE).group(1)
    mount = f"metrics:{workdir}/{metrics_dir().relative_to(BASE_DIR)}"
    for name in ("web", "worker"):
        assert built_services()[name]["volumes"] == [mount]
    assert "metrics" in compose()["volumes"]
    assert "var/metrics" in (BASE_DIR / "Dockerfile").read_text()  # created, owned by the app's user


def test_compose_logs_json_and_passes_the_metrics_token():
    assert built_services()["web"]["environment"]["LOG_FORMAT"] == "${LOG_FORMAT:-json}"
    assert built_services()["web"]["environment"]["METRICS_TOKEN"] == "${METRICS_TOKEN:-}"
    for name in APP_SERVICES | {"migrate"}:
        assert interpolated(built_services()[name]["environment"]["LOG_FORMAT"]) == "json"


def _seconds(duration: str) -> int:
    return int(duration.removesuffix("s"))
