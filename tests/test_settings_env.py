"""A malformed environment stops the process at start, naming the variable; a sound one passes check --deploy."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
STRONG_SECRET_KEY = "k8#Qz2!vW9mR4tY7uP1sL6xN3bC5dF0gH-jK8lZ2qA4wE6rT9yU1iO3pS5"
# Single sign-on configured, with an issuer nothing listens on (port 9, discard): settings must not reach it.
SSO = {"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "opmodel", "OIDC_CLIENT_SECRET": "s"}


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
        ({"DEBUG": "1", "VALUE_CURRENCY": "euro"}, "VALUE_CURRENCY"),
        ({"DEBUG": "0", "SECRET_KEY": STRONG_SECRET_KEY}, "AUDIT_KEY"),
        ({"DEBUG": "1", "OIDC_ISSUER": "id.example.org"}, "OIDC_ISSUER"),
        ({"DEBUG": "1", "OIDC_ISSUER": "https://id.example.org"}, "OIDC_CLIENT_ID"),
        ({"DEBUG": "1", "OIDC_ISSUER": "https://id.example.org", "OIDC_CLIENT_ID": "opmodel"}, "OIDC_CLIENT_SECRET"),
        ({"DEBUG": "1", **SSO, "OIDC_SCOPES": "email profile"}, "OIDC_SCOPES"),
        ({"DEBUG": "1", **SSO, "OIDC_DISABLE_PASSWORD_LOGIN": "maybe"}, "OIDC_DISABLE_PASSWORD_LOGIN"),
        ({"DEBUG": "1", "OIDC_DISABLE_PASSWORD_LOGIN": "1"}, "OIDC_DISABLE_PASSWORD_LOGIN"),
        ({"DEBUG": "1", **SSO, "OIDC_LEADER_CLAIM": "groups"}, "OIDC_LEADER_VALUE"),
        ({"DEBUG": "1", **SSO, "OIDC_TIMEOUT_SECONDS": "0"}, "OIDC_TIMEOUT_SECONDS"),
        (
            {"DEBUG": "1", "DATABASE_URL": "postgres://u@127.0.0.1:9/x", "DATABASE_RANDOM_PAGE_COST": "fast"},
            "DATABASE_RANDOM_PAGE_COST",
        ),
        (
            {"DEBUG": "1", "DATABASE_URL": "postgres://u@127.0.0.1:9/x", "DATABASE_RANDOM_PAGE_COST": "0"},
            "DATABASE_RANDOM_PAGE_COST",
        ),
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


def test_single_sign_on_is_off_by_default_and_its_provider_is_not_reached_at_start(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.OIDC_ISSUER, s.OIDC_SCOPES, s.OIDC_PROVIDER_NAME, s.OIDC_DISABLE_PASSWORD_LOGIN, sep='|')"
    )
    off = run(["manage.py", "shell", "-c", code], tmp_path, DEBUG="1")
    assert off.returncode == 0, off.stderr
    assert off.stdout.strip().splitlines()[-1] == "|openid email profile|single sign-on|False"

    on = run(
        ["manage.py", "check"],
        tmp_path,
        DEBUG="1",
        **SSO,
        OIDC_SCOPES="openid,email groups",
        OIDC_LEADER_CLAIM="groups",
        OIDC_LEADER_VALUE="portfolio-leaders",
        OIDC_DISABLE_PASSWORD_LOGIN="1",
    )
    assert on.returncode == 0, on.stderr
    shown = run(
        ["manage.py", "shell", "-c", "from django.conf import settings as s; print(s.OIDC_SCOPES)"],
        tmp_path,
        DEBUG="1",
        **SSO,
        OIDC_SCOPES="openid,email  groups",
    )
    assert shown.stdout.strip().splitlines()[-1] == "openid email groups"


def test_a_production_environment_passes_check_deploy_without_warnings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DEBUG="0",
        SECRET_KEY=STRONG_SECRET_KEY,
        AUDIT_KEY=STRONG_SECRET_KEY[::-1],
        ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def show_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; print(settings.DEBUG, settings.SITE_URL, settings.SECRET_KEY)"
    return run(["manage.py", "shell", "-c", code], tmp_path, **env)


def test_make_runs_local_env_lets_manage_py_run_in_a_plain_shell(tmp_path):
    written = run(["-m", "opmodel", "local-env"], tmp_path, PORT="8123")
    assert written.returncode == 0, written.stderr
    local_env = (tmp_path / "local.env").read_text()

    result = show_settings(tmp_path)

    assert result.returncode == 0, result.stderr
    debug, site_url, secret_key = result.stdout.strip().splitlines()[-1].split(" ")
    assert (debug, site_url) == ("True", "http://127.0.0.1:8123")
    assert f"SECRET_KEY={secret_key}\n" in local_env
    assert len(secret_key) >= 50
    assert (tmp_path / "local.env").stat().st_mode & 0o777 == 0o600


def test_local_env_keeps_its_secret_key_and_follows_the_port(tmp_path):
    run(["-m", "opmodel", "local-env"], tmp_path, PORT="8123")
    first = show_settings(tmp_path).stdout.strip().splitlines()[-1].split(" ")

    run(["-m", "opmodel", "local-env"], tmp_path)
    second = show_settings(tmp_path).stdout.strip().splitlines()[-1].split(" ")

    assert second[1] == "http://127.0.0.1:8000"
    assert second[2] == first[2]


def test_the_environment_wins_over_local_env(tmp_path):
    run(["-m", "opmodel", "local-env"], tmp_path, PORT="8123")

    result = show_settings(tmp_path, DEBUG="0", SITE_URL="https://opmodel.example.com")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split(" ")[:2] == ["False", "https://opmodel.example.com"]


def test_the_settings_alone_never_read_local_env(tmp_path):
    """The test suite (pytest-django imports the settings module) runs with DEBUG off whatever local.env says."""
    run(["-m", "opmodel", "local-env"], tmp_path)

    result = setup_django(tmp_path)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_local_env_line_is_named(tmp_path):
    (tmp_path / "local.env").write_text("DEBUG=1\nthis is not a setting\n")

    result = show_settings(tmp_path)

    assert result.returncode != 0
    assert f"{tmp_path / 'local.env'}, line 2" in result.stderr.strip().splitlines()[-1]


def test_the_throttle_cache_has_short_redis_socket_timeouts(tmp_path):
    """With Redis down or hung, an API request must not wait on it: the only Redis client in the web
    tier (the throttle's cache) gives up after a configured socket timeout. tests/test_redis_outage.py
    shows the behaviour against a hung server; this checks the configuration that produces it."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.CACHES['throttle']['BACKEND'], settings.CACHES['throttle']['OPTIONS']]))"
    )
    result = run(["-c", code], tmp_path, DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/0")

    assert result.returncode == 0, result.stderr
    backend, options = json.loads(result.stdout.strip().splitlines()[-1])
    assert backend == "django.core.cache.backends.redis.RedisCache"
    assert 0 < options["socket_connect_timeout"] <= 1 and 0 < options["socket_timeout"] <= 1
