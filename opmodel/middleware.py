import logging
import re
import time
import uuid

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

# Defined beside the log filter that reads it; the audit trail and ingest import it from here.
from opmodel.logs import current_request_id

# A PostgreSQL restart takes a few seconds; clients come back after this many.
DATABASE_RETRY_AFTER_SECONDS = 5

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
logger = logging.getLogger(__name__)
access_logger = logging.getLogger("opmodel.access")


class RequestIdMiddleware:
    """Tag each request with an id (the caller's X-Request-ID when sane) for audit events and logs, return
    it in the X-Request-ID header, and log one access line (opmodel.logs: shown with LOG_FORMAT=json)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = current_request_id.set(request.id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
        finally:
            current_request_id.reset(token)
        return response


def is_database_unavailable(exc: BaseException) -> bool:
    # A lost or refused connection is OperationalError or InterfaceError; a bare DatabaseError is the
    # driver's catch-all. Other subclasses (IntegrityError, DataError) are bugs, not an outage.
    return isinstance(exc, (OperationalError, InterfaceError)) or type(exc) is DatabaseError


def log_database_unavailable(request, exc: BaseException) -> None:
    # One line with the driver's reason (refused, terminated, starting up); Django adds its own
    # "Service Unavailable: <path>" line for the 503 without it.
    logger.warning("Database unavailable for %s %s: %s", request.method, request.path, " ".join(str(exc).split()))


def database_unavailable(request) -> HttpResponse:
    """503 with Retry-After: problem+json under /api/, else a static page that cannot itself query."""
    if request.path.startswith("/api/"):
        body = {
            "type": "urn:opmodel:problem:service-unavailable",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "The database is unavailable; retry shortly.",
            "errors": [],
        }
        response = JsonResponse(body, status=503, content_type="application/problem+json")
    else:
        # Rendered without a request, so no context processor (user, notifications) touches the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view that loses the database answers 503 with Retry-After instead of a 500.

    DRF views never get here: their exception handler (opmodel.api) answers problem+json itself.
    Errors raised by other middleware reach handler500 (opmodel.api.server_error) instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        log_database_unavailable(request, exception)
        return database_unavailable(request)
