"""One entry point for every OpModel process: `python -m opmodel web|worker|beat|dev|local-env`.

docker-compose runs `web`, `worker` and `beat` as separate services, and `healthcheck-web` and
`healthcheck-worker` as their health checks; `make run`
runs `local-env`, which writes VAR_DIR/local.env (opmodel/env.py), then `dev`, which
starts all three and stops them together. Each command is configured by environment
variables only: PORT or BIND and WEB_CONCURRENCY for `web`, WORKER_CONCURRENCY for
`worker`, plus everything opmodel/settings.py reads; local.env, when there is one,
fills in those the environment does not set.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from opmodel.env import load_local_env, metrics_dir, read_env_file, write_local_env


def _bind() -> str:
    return os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"


def web() -> None:
    import django
    from django.core.management import call_command

    # Importing the settings here makes a malformed variable fail before gunicorn forks.
    django.setup()
    # In DEBUG too: WhiteNoise serves only collected files, hashed and compressed (opmodel/staticfiles.py).
    call_command("collectstatic", interactive=False, verbosity=0)
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    _metrics_files("web")
    # Logging (plain or JSON) and the access log: opmodel/gunicorn_config.py.
    _exec("gunicorn", "opmodel.wsgi", "-c", "python:opmodel.gunicorn_config", "--bind", _bind(), "--workers", workers)


def worker() -> None:
    concurrency = os.environ.get("WORKER_CONCURRENCY", "2")
    # Keeps its database connection between tasks, so the scorecard recompute reuses its plan.
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "3600")
    _metrics_files("worker")
    _celery("worker", "--concurrency", concurrency, "--loglevel", "INFO")


def _metrics_files(process: str) -> None:
    """Every process this command starts (gunicorn's or Celery's workers) keeps its Prometheus metrics in a
    file of its own under METRICS_DIR/<process>, which /metrics adds up (opmodel/ops.py). Emptied at each
    start, as prometheus_client's multiprocess mode requires: counters start again from zero, which
    Prometheus reads as a restart. web and worker each have their own folder, so neither empties the
    other's; docker-compose.yml shares METRICS_DIR between their containers."""
    path = metrics_dir() / process
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    # Read by prometheus_client when it is first imported, in the processes started below.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def beat() -> None:
    # The schedule file is CELERY_BEAT_SCHEDULE_FILENAME, under VAR_DIR/celery.
    _celery("beat", "--loglevel", "INFO")


def _celery(command: str, *args: str) -> None:
    # With LOG_FORMAT=json every line is a JSON log line (opmodel/celery.py): --quiet drops the banners,
    # which Celery prints rather than logs. Importing the settings also fails a malformed variable here.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opmodel.settings")
    from django.conf import settings

    quiet = ["--quiet"] if settings.LOG_FORMAT == "json" else []
    _exec("celery", "-A", "opmodel", *quiet, command, *args)


# A health check that takes longer than this failed: docker-compose.yml gives each check 10 s.
HEALTHCHECK_TIMEOUT_SECONDS = 8
READY_PATH = "/readyz"


def healthcheck_web() -> None:
    """Exit 0 when this container's web answers /readyz with 200 (database, broker, migrations: opmodel/ops.py)
    on the address `web` binds (BIND or PORT); else print why and exit 1."""
    host, _, port = _bind().rpartition(":")
    host = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104 - a listen address
    url = f"http://{host}:{port}{READY_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=HEALTHCHECK_TIMEOUT_SECONDS) as response:
            print(response.read().decode(), flush=True)
    except urllib.error.HTTPError as error:
        sys.exit(f"{url} answered {error.code}: {error.read().decode()}")
    except OSError as error:
        sys.exit(f"{url}: {error}")


def healthcheck_worker() -> None:
    """Exit 0 when this host's Celery worker answers a ping through the broker; celery exits non-zero when
    it does not answer within the timeout."""
    destination = f"celery@{socket.gethostname()}"  # the worker's default name
    _exec("celery", "-A", "opmodel", "inspect", "ping", "--destination", destination, "--timeout", "5")


def _exec(module: str, *args: str) -> None:
    # Run the module with this interpreter, so the venv's gunicorn/celery is used without PATH.
    os.execv(sys.executable, [sys.executable, "-m", module, *args])  # noqa: S606


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop


def dev() -> None:
    """1. start web, worker and beat; 2. wait for a signal or a child to die; 3. stop them all."""
    env = {**os.environ, "WORKER_CONCURRENCY": os.environ.get("WORKER_CONCURRENCY", "1")}
    # Installed explicitly: a shell may have started us with SIGINT ignored.
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    children: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        for name in ("web", "worker", "beat"):
            children[name] = subprocess.Popen([sys.executable, "-m", "opmodel", name], env=env)  # noqa: S603
        print(f"OpModel: serving http://{_bind()}/ with a Celery worker and beat. Ctrl-C stops all three.", flush=True)
        while not (dead := [name for name, child in children.items() if child.poll() is not None]):
            time.sleep(0.5)
        print(f"OpModel: {dead[0]} exited with code {children[dead[0]].returncode}; stopping.", flush=True)
        status = 1
    except _Stop:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for name, child in children.items():
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print(f"OpModel: {name} did not stop in 30 s; killing it.", flush=True)
            child.kill()
            child.wait()
    print("OpModel: web, worker and beat stopped.", flush=True)
    sys.exit(status)


def local_env() -> None:
    """Write local.env from this environment (PORT), before anything reads the previous one."""
    path = write_local_env()
    print(
        f"OpModel: wrote {path} (DEBUG=1, SITE_URL={read_env_file(path)['SITE_URL']}, a SECRET_KEY and an "
        "AUDIT_KEY kept across runs); manage.py and python -m opmodel read it, and variables set in the "
        "environment win over it.",
        flush=True,
    )


COMMANDS = {
    "web": web,
    "worker": worker,
    "beat": beat,
    "dev": dev,
    "local-env": local_env,
    "healthcheck-web": healthcheck_web,
    "healthcheck-worker": healthcheck_worker,
}


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        sys.exit(f"usage: python -m opmodel {'|'.join(COMMANDS)}")
    if argv[0] != "local-env":
        load_local_env()
    COMMANDS[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
