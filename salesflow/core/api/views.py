"""The schema (for a token or a session, as the API), its two documentation pages (behind
the sign-in, both served from static files), and the site's 404 handler: problem details
under /api/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from salesflow.core.api.errors import PROBLEM_BASE, PROBLEM_CONTENT_TYPE


def _behind_sign_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """DRF marks its views @login_not_required (it authenticates them itself); the schema
    and docs are pages like any other: the sign-in, and its second step, come first."""
    view.login_required = True  # type: ignore[attr-defined]
    return view


# The schema is the API's: a token reads it too, and a caller signed in neither way gets the
# API's 401 problem, not the sign-in page (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]).
schema = SpectacularAPIView.as_view()
# The split view serves Swagger UI's start-up script as its own file (?script), so the page
# needs no inline script and the strict CSP stays as it is.
swagger = _behind_sign_in(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
# Redoc adds its styles as <style> elements, which style-src 'self' refuses, and it cannot
# be handed a nonce (browsers hide nonce attributes from scripts). Its elements are known:
# styled-components' empty ones, whose rules it then adds through the CSSOM (which CSP
# does not govern), and perfect-scrollbar's fixed sheet. This page lets in exactly those
# two by hash: still no 'unsafe-inline'. A new Redoc (drf-spectacular-sidecar) may change
# the second hash; tests/prospects/api/test_browser.py fails on any CSP refusal.
REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # an empty <style>
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # perfect-scrollbar's
]
redoc = _behind_sign_in(
    csp_update({"style-src": REDOC_STYLE_HASHES})(
        SpectacularRedocView.as_view(url_name="api:schema")
    )
)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's 404: an address under /api/ that matches no endpoint (a letter where an
    id goes, a typo) answers problem details like the API's own 404s; any other, the page."""
    if request.path.startswith("/api/"):
        body = {
            "type": PROBLEM_BASE + "not-found",
            "title": "Not found.",
            "status": 404,
            "detail": "No endpoint has this address; the schema at /api/schema/ lists them.",
        }
        return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
    return defaults.page_not_found(request, exception)
