"""The schema and its two documentation pages, both served from static files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)


def _behind_sign_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """DRF marks its views @login_not_required (it authenticates them itself); the schema
    and docs are pages like any other: the sign-in, and its second step, come first."""
    view.login_required = True  # type: ignore[attr-defined]
    return view


schema = _behind_sign_in(SpectacularAPIView.as_view())
# The split view serves Swagger UI's start-up script as its own file (?script), so the page
# needs no inline script and the strict CSP stays as it is.
swagger = _behind_sign_in(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
redoc = _behind_sign_in(SpectacularRedocView.as_view(url_name="api:schema"))
