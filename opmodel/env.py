"""Strict readers for settings taken from environment variables, and the local environment file.

A malformed value stops the process at start with a message that names the
variable, instead of surfacing later as a confusing runtime error.

`make run` writes VAR_DIR/local.env (DEBUG=1, a generated SECRET_KEY and AUDIT_KEY, PORT, SITE_URL...), and
manage.py and `python -m opmodel` read it before the settings, so any command in a plain shell
runs against the local instance. Real environment variables win over the file. Production,
docker-compose and the test suite have no such file (the suite's processes use their own var dir).
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_ENV_FILE_NAME = "local.env"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    return _env_number(name, default, int, "a whole number", minimum)


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    return _env_number(name, default, float, "a number such as 1.5", minimum)


def _env_number(name: str, default, parse, kind: str, minimum):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}; got {raw!r}.") from None
    if not value >= minimum:  # NaN too
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {raw.strip()}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    raw = os.environ.get(name, "").strip() or default
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme not in schemes or (scheme not in ("filesystem", "memory") and not rest):
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with one of {', '.join(s + '://' for s in schemes)}; got {raw!r}."
        )
    return raw


def env_database(name: str, default: str, *, conn_max_age: int) -> dict:
    import dj_database_url

    raw = env_url(name, default, schemes=("sqlite", "postgres", "postgresql", "pgsql"))
    try:
        return dj_database_url.parse(raw, conn_max_age=conn_max_age, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} could not be parsed: {exc}") from None


def var_dir() -> Path:
    """Local state (SQLite file, on-disk broker, beat schedule, local.env): OPMODEL_VAR_DIR or ./var."""
    return Path(env_str("OPMODEL_VAR_DIR", str(BASE_DIR / "var")))


def metrics_dir() -> Path:
    """Where web and worker processes keep their Prometheus metrics, one folder each (opmodel/__main__.py),
    and where /metrics reads them all (opmodel/ops.py)."""
    return var_dir() / "metrics"


def local_env_path() -> Path:
    return var_dir() / LOCAL_ENV_FILE_NAME


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments are skipped; no quoting or expansion."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value; got {line!r}.")
        values[name] = value.strip()
    return values


def load_local_env() -> None:
    """Put local.env's variables into this process's environment, unless the environment already sets them."""
    path = local_env_path()
    if path.is_file():
        for name, value in read_env_file(path).items():
            os.environ.setdefault(name, value)


def write_local_env() -> Path:
    """Write local.env for `make run`: a plain-HTTP DEBUG run on PORT (default 8000), with the
    SECRET_KEY and AUDIT_KEY of the previous file kept (sessions survive a restart, the audit chain keeps
    verifying) or new random ones."""
    path = local_env_path()
    previous = read_env_file(path) if path.is_file() else {}
    port = env_int("PORT", 8000, minimum=1)
    values = {
        "DEBUG": "1",
        "HTTPS_ONLY": "0",
        "SECRET_KEY": previous.get("SECRET_KEY") or secrets.token_urlsafe(50),
        # The audit chain's key must outlive every run, or older events stop verifying.
        "AUDIT_KEY": previous.get("AUDIT_KEY") or secrets.token_urlsafe(50),
        "PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# Written by `make run` (python -m opmodel local-env) on every run; read by manage.py and\n"
        "# `python -m opmodel`. Environment variables win over these. Never used in production.\n"
        + "".join(f"{name}={value}\n" for name, value in values.items())
    )
    temporary = path.with_name(f".{path.name}.tmp")
    # Owner-only: the file holds a secret key.
    temporary.touch(mode=0o600)
    temporary.chmod(0o600)
    temporary.write_text(text)
    temporary.replace(path)
    return path
