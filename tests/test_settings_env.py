"""A malformed environment stops the process at start, naming the variable; a sound one passes check --deploy."""

import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
STRONG_SECRET_KEY = "k8#Qz2!vW9mR4tY7uP1sL6xN3bC5dF0gH-jK8lZ2qA4wE6rT9yU1iO3pS5"


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    # A clean environment, so nothing from the test run (DEBUG, DATABASE_URL...) leaks in.
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "opmodel.settings", "OPMODEL_VAR_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def setup_django(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return run(["-c", "import django; django.setup()"], tmp_path, **env)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"DEBUG": "1", "CELERY_BROKER_URL": "ftp://x"}, "CELERY_BROKER_URL"),
        ({"DEBUG": "1", "SESSION_COOKIE_AGE": "abc"}, "SESSION_COOKIE_AGE"),
        ({"DEBUG": "1", "REVIEW_REMINDER_EVERY_SECONDS": "0"}, "REVIEW_REMINDER_EVERY_SECONDS"),
        ({"DEBUG": "0"}, "SECRET_KEY"),
    ],
)
def test_a_malformed_variable_fails_at_start_naming_it(tmp_path, env, variable):
    result = setup_django(tmp_path, **env)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert variable in last_line


def test_local_defaults_start_without_any_variable_but_debug(tmp_path):
    result = setup_django(tmp_path, DEBUG="1")

    assert result.returncode == 0, result.stderr


def test_a_production_environment_passes_check_deploy_without_warnings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DEBUG="0",
        SECRET_KEY=STRONG_SECRET_KEY,
        ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
