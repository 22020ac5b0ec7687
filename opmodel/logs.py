"""Log lines: plain text by default, one JSON object per line with LOG_FORMAT=json (README: "Logs").

Every line logged while a request is handled carries its request id (opmodel.middleware.RequestIdMiddleware),
Django's own `django.request` lines included: they are written after the middleware has returned, so the
filter falls back to the id the middleware put on the request they name. A line logged by a Celery task
carries the task's id and name instead. One configuration serves Django (settings.LOGGING), gunicorn
(opmodel/gunicorn_config.py) and Celery (opmodel/celery.py).

This module imports only the standard library and the JSON formatter, so settings.py can import it.
"""

import logging
from contextvars import ContextVar
from datetime import datetime, timezone

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

LOG_FORMATS = ("plain", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# The id of the request being handled: set by RequestIdMiddleware, read by the audit trail, ingest and logs.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


class RequestIdFilter(logging.Filter):
    """Puts `request_id` (and, inside a Celery task, `task_id` and `task_name`) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            request = getattr(record, "request", None)
            record.request_id = current_request_id.get() or getattr(request, "id", "")
        if not record.request_id and not hasattr(record, "task_id"):
            task = _current_task()
            if task is not None:
                record.task_id, record.task_name = task.request.id, task.name
        return True


def _current_task():
    from celery import current_task  # here: a gunicorn master logs before anything imported Celery

    return current_task if current_task and current_task.request.id else None


class JsonFormatter(_JsonFormatter):
    """time, level, logger, message, request_id, then whatever the call added (extra=...); exceptions as text.

    The request object Django's `django.request` lines carry is left out: its id is already there.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, "request"],
        )

    def formatTime(self, record, datefmt=None):
        # ISO 8601 in UTC with milliseconds, whatever the machine's zone.
        moment = datetime.fromtimestamp(record.created, timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def logging_config(log_format: str, level: str) -> dict:
    """The dictConfig for LOG_FORMAT and LOG_LEVEL.

    `opmodel.access` has one line per request (method, path, status, duration, request id): in JSON,
    where it replaces gunicorn's access log (opmodel/gunicorn_config.py); in plain text gunicorn's
    access log has those lines, so it is quiet.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "opmodel.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {"()": "opmodel.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"opmodel.access": {"level": "INFO" if log_format == "json" else "WARNING"}},
    }


def use_json(handler: logging.Handler) -> None:
    """Make a handler someone else configured (Celery's) write JSON lines with the request or task id."""
    # Python's warnings too, as Django routes them (configure_logging): else they are raw lines on stderr.
    logging.captureWarnings(True)
    handler.setFormatter(JsonFormatter())
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        handler.addFilter(RequestIdFilter())
