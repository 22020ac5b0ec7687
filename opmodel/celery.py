import logging.config
import os

from celery import Celery, signals
from django.db import close_old_connections, connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opmodel.settings")

app = Celery("opmodel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
def _json_logs_from_the_start(**kwargs):
    """The worker may warn (running as root, ...) before Celery sets its logging up: with LOG_FORMAT=json,
    Django's logging configuration takes those lines until Celery's handlers (made JSON below) replace it."""
    from django.conf import settings

    if settings.LOG_FORMAT == "json":
        logging.config.dictConfig(settings.LOGGING)
        logging.captureWarnings(True)


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _json_logs(logger=None, **kwargs):
    """With LOG_FORMAT=json, the worker's and beat's lines are JSON too, a task's with its id (opmodel/logs.py).
    Celery configures its handlers first; this only changes how they write."""
    from django.conf import settings

    from opmodel.logs import use_json

    if settings.LOG_FORMAT == "json":
        for handler in logger.handlers:
            use_json(handler)


@signals.task_prerun.connect
def _check_connections(task=None, **kwargs):
    """Before a task, as Django does before a request: a connection past DATABASE_CONN_MAX_AGE, or one
    that fails its health check, is closed and the task opens a new one. (Eager tasks run inside the
    caller's transaction and leave its connection alone.)"""
    if not getattr(task.request, "is_eager", False):
        close_old_connections()


@signals.task_failure.connect
@signals.task_retry.connect
def _drop_connections(sender=None, **kwargs):
    """After a task that failed, a time limit may have cut a query short and left its connection in a
    state Django cannot see: the next task starts on a new one."""
    if not getattr(sender.request, "is_eager", False):
        connections.close_all()
