"""salesflow.core.api.errors: every kind of error as problem details."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from salesflow.core.api.errors import PROBLEM_CONTENT_TYPE, problem_exception_handler

# The suite's session fixtures need the test database set up, as in the other core tests.
pytestmark = pytest.mark.django_db


def handle(exc: Exception):
    response = problem_exception_handler(exc, {})
    assert response is not None
    assert response.content_type == PROBLEM_CONTENT_TYPE
    assert {"type", "title", "status", "detail"} <= set(response.data)
    assert response.data["status"] == response.status_code
    return response


def test_throttled_keeps_retry_after():
    response = handle(exceptions.Throttled(wait=42))
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert response.data["type"].endswith("/throttled")
    assert "42" in response.data["detail"]


@pytest.mark.parametrize(
    ("exc", "status", "slug"),
    [
        (Http404("No such account."), 404, "not-found"),
        (PermissionDenied("This account is read-only for you."), 403, "forbidden"),
        (exceptions.NotAuthenticated(), 401, "not-authenticated"),
        (exceptions.ParseError(), 400, "malformed-request"),
    ],
)
def test_each_kind_has_its_status_and_type(exc, status, slug):
    response = handle(exc)
    assert response.status_code == status
    assert response.data["type"] == f"https://salesflow.invalid/problems/{slug}"
    assert "errors" not in response.data


def test_a_service_refusal_names_its_fields():
    response = handle(DjangoValidationError({"owner": "You cannot give accounts to this person."}))
    assert response.status_code == 400
    assert response.data["errors"] == {"owner": ["You cannot give accounts to this person."]}
    response = handle(DjangoValidationError("This account is read-only for you."))
    assert response.data["errors"] == {"non_field_errors": ["This account is read-only for you."]}


def test_nested_field_errors_are_flattened():
    response = handle(exceptions.ValidationError({"contacts": [{"email": ["Bad."]}, {}]}))
    assert response.data["errors"] == {"contacts.0.email": ["Bad."]}


def test_a_401_says_how_to_authenticate():
    assert handle(exceptions.NotAuthenticated())["WWW-Authenticate"]


def test_anything_else_is_left_to_django():
    assert problem_exception_handler(RuntimeError("bug"), {}) is None
