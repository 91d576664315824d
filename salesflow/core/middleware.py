from __future__ import annotations

import codecs
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.http import parse_header_parameters

NOT_UTF8 = (
    "This form was sent in a character encoding salesflow does not read: it reads UTF-8 "
    "only. Reload the page and send it again from there; a browser sends UTF-8 by itself.\n"
)


def charset_refused(content_type: str) -> bool:
    """The rule: a request whose Content-Type names a charset other than UTF-8
    (`charset=utf-16`, `latin-1`, `foo`, `hex`) is refused. "UTF8" and "utf_8" are UTF-8."""
    charset = parse_header_parameters(content_type)[1].get("charset")
    if charset is None:
        return False
    try:
        return codecs.lookup(charset).name != "utf-8"
    except (LookupError, ValueError):  # unknown, or not even a name (a NUL in it)
        return True


class Utf8RequestMiddleware:
    """Answer a plain 400 to a request that names another charset (charset_refused).

    Django reads urlencoded forms as UTF-8 only and raises BadRequest on every read of
    request.POST otherwise — in the CSRF check, and again in the error handlers that would
    answer 400 — so the visitor got a 500; a charset Python knows but cannot decode text
    with (hex, rot13) broke multipart forms and query strings outright. This sits before
    everything that reads the body or the query string: the CSRF check, django-axes on the
    sign-in page, every view. A UTF-8 charset however spelt is passed on as "utf-8", the
    one spelling Django's own check accepts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if charset_refused(request.META.get("CONTENT_TYPE", "")):
            return HttpResponseBadRequest(NOT_UTF8, content_type="text/plain; charset=utf-8")
        if "charset" in request.content_params:
            request.encoding = "utf-8"
        return self.get_response(request)


# Django cannot even build its request object for some of these — a charset that is not a
# text encoding (hex, rot13) with a query string fails in HttpRequest's own constructor,
# before any middleware runs — so the WSGI and ASGI entry points apply the same rule first.

_REFUSAL_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("X-Content-Type-Options", "nosniff"),
]


def utf8_only_wsgi(application: Callable[..., Any]) -> Callable[..., Any]:
    def refuse_other_charsets(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if charset_refused(environ.get("CONTENT_TYPE", "")):
            start_response("400 Bad Request", _REFUSAL_HEADERS)
            return [NOT_UTF8.encode()]
        return application(environ, start_response)

    return refuse_other_charsets


def utf8_only_asgi(application: Callable[..., Any]) -> Callable[..., Any]:
    async def refuse_other_charsets(
        scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers", []))
            if charset_refused(headers.get(b"content-type", b"").decode("latin-1")):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [(k.lower().encode(), v.encode()) for k, v in _REFUSAL_HEADERS],
                    }
                )
                await send({"type": "http.response.body", "body": NOT_UTF8.encode()})
                return
        await application(scope, receive, send)

    return refuse_other_charsets


class UserTimeZoneMiddleware:
    """Show times in the signed-in user's own time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # The thread serves other users next: never let one user's zone leak to them.
            timezone.deactivate()
