"""Every error of the API as problem details (RFC 9457): a JSON body with ``type``,
``title``, ``status`` and ``detail``, plus ``errors`` {field: [messages]} when input was
refused, served as ``application/problem+json``. Clients read one shape whatever went
wrong: bad input, no sign-in, no access, too many requests, no such record.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_BASE = "https://salesflow.invalid/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

# DRF's exception -> (the problem's slug, its title).
_KINDS: list[tuple[type[Exception], str, str]] = [
    (exceptions.ValidationError, "invalid-input", "Your input was not valid."),
    (exceptions.ParseError, "malformed-request", "The request could not be read."),
    (exceptions.NotAuthenticated, "not-authenticated", "Sign-in required."),
    (exceptions.AuthenticationFailed, "not-authenticated", "Sign-in required."),
    (exceptions.PermissionDenied, "forbidden", "You may not do this."),
    (exceptions.NotFound, "not-found", "Not found."),
    (exceptions.MethodNotAllowed, "method-not-allowed", "Method not allowed."),
    (exceptions.NotAcceptable, "not-acceptable", "Not acceptable."),
    (exceptions.UnsupportedMediaType, "unsupported-media-type", "Unsupported media type."),
    (exceptions.Throttled, "throttled", "Too many requests."),
]


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail flattened to {"field" or "field.sub": [messages]}."""
    if isinstance(detail, dict):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "non_field_errors" if key in {"__all__", None} else str(key)
            found.update(_field_errors(value, f"{prefix}.{name}" if prefix else name))
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        found = {}
        for index, item in enumerate(detail):
            found.update(_field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return found
    return {prefix or "non_field_errors": [str(detail)]}


def _from_django(exc: Exception) -> Exception:
    """Django's errors (from services and access helpers) as DRF's."""
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exc


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _from_django(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a real fault, left to Django's 500 handling
    slug, title = next(
        ((slug, title) for kind, slug, title in _KINDS if isinstance(exc, kind)),
        ("error", "Error."),
    )
    # An app's own kind of problem (a refused move, a reused idempotency key) names itself.
    slug = getattr(exc, "problem_slug", slug)
    title = getattr(exc, "problem_title", title)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        # DRF answers 403 when no authentication class names a scheme for WWW-Authenticate
        # (sessions do not); the answer to "who are you?" is 401 whatever the scheme.
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": response.status_code,
    }
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = "Correct the fields listed in errors and send it again."
        body["errors"] = _field_errors(exc.detail)
    else:
        body["detail"] = str(exc.detail) if hasattr(exc, "detail") else str(exc)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    # Always as JSON, whatever the view renders when it succeeds (the schema's default is
    # YAML): DRF renders the answer with the request's renderer, so set that one.
    request = context.get("request")
    if request is not None:
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    # Retry-After (throttling) and WWW-Authenticate (sign-in) are kept: DRF set them above.
    return response


class ProblemSerializer(serializers.Serializer):
    """The problem details body, for the schema."""

    type = serializers.CharField(help_text="A URL naming the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For refused input: each field's messages.",
    )


def problem_responses(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """The schema's error answers of an endpoint, all problem details."""
    meaning = {
        400: "Bad input: the parameters or body listed in errors.",
        401: "Not signed in.",
        403: "Signed in, but this is read-only for you.",
        404: "No such record, or not one you may see.",
        409: "Refused: the record's present state does not allow it (detail says why).",
        422: "The Idempotency-Key was already used for another request.",
        429: "Too many requests: wait for Retry-After seconds.",
    }
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=ProblemSerializer, description=meaning[code]
        )
        for code in statuses
    }
