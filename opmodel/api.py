"""Shared REST plumbing: pagination and RFC 9457 problem+json errors."""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from governance.services import TransitionError

PROBLEM_CONTENT_TYPE = "application/problem+json"
DATABASE_RETRY_AFTER_SECONDS = 5


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry shortly."
    default_code = "service_unavailable"


def problem_exception_handler(exc, context):
    """Render every API error as problem+json with a flat list of {field, message} errors."""
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors[:5])
        code = "validation-error"
    else:
        errors = []
        detail = str(exc.detail) if not isinstance(exc.detail, (list, dict)) else str(flatten_errors(exc.detail))
        code = str(getattr(exc, "default_code", "error")).replace("_", "-")
    return problem_response(response.status_code, detail, errors=errors, code=code, headers=response.headers)


def problem_response(status_code: int, detail: str, *, errors=(), code: str = "error", headers=None) -> Response:
    body = {
        "type": f"urn:opmodel:problem:{code}",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "errors": list(errors),
    }
    response = Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        if name.lower() in ("www-authenticate", "retry-after", "allow"):
            response[name] = value
    if status_code == 503:
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _as_api_exception(exc):
    if isinstance(exc, TransitionError):
        return Conflict(str(exc))
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, (OperationalError, InterfaceError)) or type(exc) is DatabaseError:
        return ServiceUnavailable()
    return exc


def flatten_errors(detail, prefix: str = "") -> list[dict]:
    """Turn DRF's nested error detail into [{"field": "a.b", "message": "..."}]."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out += flatten_errors(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"field": prefix, "message": str(item)} for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out += flatten_errors(item, f"{prefix}.{index}" if prefix else str(index))
        return out
    return [{"field": prefix, "message": str(detail)}]
