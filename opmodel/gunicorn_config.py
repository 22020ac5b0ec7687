"""gunicorn's settings for `python -m opmodel web` (`-c python:opmodel.gunicorn_config`); the command line
adds --bind and --workers.

Logs as Django does (settings.LOGGING, opmodel/logs.py). With LOG_FORMAT=json, gunicorn's own lines go
through the JSON handler and its access log is off: Django's `opmodel.access` logger writes one JSON line
per request instead, with the request id (opmodel.middleware.RequestIdMiddleware). In plain text,
gunicorn keeps its usual access log on stdout.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opmodel.settings")

from django.conf import settings

if settings.LOG_FORMAT == "json":
    # gunicorn gives its error logger a plain handler of its own first: naming the logger here replaces it,
    # so its lines go up to the JSON handler. Its access lines, which it writes whenever logconfig_dict is
    # set, would repeat opmodel.access's without the request id: dropped.
    logconfig_dict = {
        **settings.LOGGING,
        "loggers": {
            **settings.LOGGING["loggers"],
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": False},
        },
    }
    accesslog = None
else:
    accesslog = "-"
