"""Shared REST plumbing: pagination, RFC 9457 problem+json errors, and strict input serializers."""

import sys
from collections.abc import Mapping
from http import HTTPStatus

from django import forms
from django.conf import settings
from django.core import signals, validators
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.log import log_response
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from governance.errors import TransitionError
from opmodel.compat import UTC
from opmodel.middleware import (
    DATABASE_RETRY_AFTER_SECONDS,
    database_unavailable,
    is_database_unavailable,
    log_database_unavailable,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class NarrowPagination(Pagination):
    """Pages by primary key first, then loads that page's rows alone, by id, from the view's `page_rows()`:
    the rows with what the serializer reads, without the filters the ids already went through (a filter on
    each initiative's latest scorecard, say, need not run again for one page). The response is
    Pagination's (count, next, previous, results).

    For long lists of wide rows: the database sorts (sort key, id) pairs, which stay in memory, instead
    of every row with all its columns and those of its joins, which spilled to disk at the last pages.
    """

    def paginate_queryset(self, queryset, request, view=None):
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True), request, view)
        if ids is None:
            return None
        rows = view.page_rows().in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry shortly."
    default_code = "service_unavailable"


class StrictFieldsMixin:
    """Every writable serializer's base: a body key that is not one of its writable fields is a 400 naming
    the key, never silently ignored (a client that misspells a field, or sets one the API does not let it
    set, must hear so rather than read a 200 and believe it stored)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            _speak_like_forms(field)
        return fields

    def to_internal_value(self, data):
        refused = _refused_keys(self, data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            if refused and isinstance(exc.detail, dict):
                raise exceptions.ValidationError({**exc.detail, **refused}) from exc
            raise
        if refused:
            raise exceptions.ValidationError(refused)
        return value


def _speak_like_forms(field) -> None:
    """Refuse an empty or too long value in the words of Django's forms, so the page and the API agree."""
    if "blank" in field.error_messages:
        field.error_messages["blank"] = forms.Field.default_error_messages["required"]
    if isinstance(field, serializers.ChoiceField):
        field.error_messages["invalid_choice"] = "Select a valid choice. {input} is not one of the available choices."
    if isinstance(field, serializers.CharField) and field.max_length is not None:
        others = [v for v in field.validators if not isinstance(v, validators.MaxLengthValidator)]
        field.validators = [*others, validators.MaxLengthValidator(field.max_length)]


def writable_fields(serializer) -> list[str]:
    return [name for name, field in serializer.fields.items() if not field.read_only]


def _refused_keys(serializer, data: Mapping) -> dict:
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    model_fields = {f.name for f in model._meta.get_fields()} if model else set()
    refused = {}
    for key in data:
        field = serializer.fields.get(key)
        if field is None and key in model_fields:
            refused[key] = ["Read-only field: it cannot be set here."]
        elif field is None:
            writable = ", ".join(writable_fields(serializer))
            refused[key] = [f"Unknown field; this request accepts: {writable}."]
        elif field.read_only:
            refused[key] = ["Read-only field: it cannot be set here."]
    return refused


class StrictFieldsSchema(OpenApiSerializerExtension):
    """The schema says what StrictFieldsMixin enforces: a request body has no other properties."""

    target_class = StrictFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class UtcDateTimeField(serializers.DateTimeField):
    """A moment as the API writes and reads it: ISO 8601 in UTC ("Z"). Naming the zone spares each value
    a look-up of the request's current one, a third of the time of serializing a page of initiatives."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }


def problem_exception_handler(exc, context):
    """Render every API error as problem+json with a flat list of {field, message} errors."""
    if is_database_unavailable(exc):
        log_database_unavailable(context["request"], exc)
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors[:5])
        code = "validation-error"
    else:
        errors = getattr(exc, "errors", [])
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


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def problem_json(status_code: int, detail: str, code: str, *, errors=(), **members) -> JsonResponse:
    """A problem+json answer for plain Django code paths (no DRF request or renderer at hand); `members`
    are the problem type's own, after the standard ones."""
    body = {
        "type": f"urn:opmodel:problem:{code}",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "errors": list(errors),
        **members,
    }
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


@csrf_exempt  # a session's unsafe request to a path that does not exist is a 404, not the HTML CSRF page
def unrouted(request, rest=""):
    """The last URL pattern: a path under /api/ that no route matches is a problem+json 404, DEBUG or not.

    Django's handler404 would do, but only with DEBUG off; with it on (make run) the technical
    404 page answers instead. A route missed by its trailing slash is named rather than
    redirected to, since a redirect would lose the body of a write.
    """
    detail = "Not found."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unrouted:
            detail = f"Not found. API paths end with a slash: {request.path}/"
    return problem_json(404, detail, "not-found")


def not_found(request, exception):
    """handler404: an unmatched /api/ URL is a problem+json 404 too, not the HTML page."""
    if is_api_request(request):
        return problem_json(404, "Not found.", "not-found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: a database lost outside any view (in middleware, say) is still a 503, not a 500."""
    # Django calls this inside its `except` block, so the exception is still at hand.
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable(request)
    if is_api_request(request):
        return problem_json(500, "An unexpected error occurred; it has been logged.", "server-error")
    return defaults.server_error(request)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiProblemMiddleware:
    """Under /api/, the answers Django itself would render as HTML are problem+json, DEBUG or not.

    1. A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 before anything reads it (DRF's parsers
       read the stream whole, without Django's limit).
    2. An exception a view lets through (DRF's handler answers the ones it knows) is a 500, or a
       413 for RequestDataTooBig; got_request_exception still fires and django.request still logs
       it with its traceback, as Django's own handler would, so the test client re-raises it.
    A lost database is left to DatabaseUnavailableMiddleware, which sits inside this one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if is_api_request(request) and limit is not None and _content_length(request) > limit:
            return _too_large(limit)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api_request(request) or is_database_unavailable(exception):
            return None
        if isinstance(exception, RequestDataTooBig):
            return _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        signals.got_request_exception.send(sender=None, request=request)
        response = problem_json(500, "An unexpected error occurred; it has been logged.", "server-error")
        log_response(
            "%s: %s", response.reason_phrase, request.path, response=response, request=request, exception=exception
        )
        return response


def _too_large(limit: int) -> JsonResponse:
    return problem_json(413, f"The request body is larger than {limit} bytes.", "request-too-large")


def _as_api_exception(exc):
    if isinstance(exc, TransitionError):
        conflict = Conflict(str(exc))
        conflict.errors = exc.errors  # e.g. each unanswered checklist question
        return conflict
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if is_database_unavailable(exc):
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


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem; `errors` lists each bad field (and `index` for an item of a batch).",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "index": {"type": "integer"},
                },
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "errors"],
}
PROBLEM_RESPONSES = {
    "400": "Invalid input; `errors` names each field.",
    "401": "No token, or a bad, expired or revoked one.",
    "403": "Not allowed.",
    "404": "Unknown object or page.",
    "409": "Invalid transition for the current state.",
    "429": "Throttled; retry later.",
    "503": "The database is unavailable; retry after `Retry-After` seconds.",
}

BODY_PROBLEM_RESPONSES = {
    "413": "The body is larger than the upload limit (16 MB).",
    "415": "The body is not JSON.",
}


def document_problem_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every API operation documents its problem+json errors."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, description in PROBLEM_RESPONSES.items():
                if code == "409" and method == "get":
                    continue  # reads never transition anything
                responses.setdefault(code, {"description": description, "content": problem})
            if operation.get("operationId") == "v1_measurements_create":
                responses.setdefault("413", {"description": "More than 10,000 measurements.", "content": problem})
            if method in ("post", "put", "patch"):
                for code, description in BODY_PROBLEM_RESPONSES.items():
                    responses.setdefault(code, {"description": description, "content": problem})
    return result
