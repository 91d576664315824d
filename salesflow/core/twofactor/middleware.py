from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from salesflow.core.twofactor.access import two_factor_required
from salesflow.core.twofactor.session import second_step_pending

# Reachable before the second step: the step itself, enrolment and signing out. Not the
# other two-factor pages: new recovery codes, made before the step, would be a way past it.
OPEN_VIEWS = {"twofactor:verify", "twofactor:enrol", "logout", "admin:logout"}


class TwoFactorMiddleware:
    """Until a session passes the second step, every page sends it there; a user whose
    role must use two-factor sign-in and has not enrolled is sent to enrolment instead.

    After django_otp's OTPMiddleware (request.user.is_verified()) and after
    LoginRequiredMiddleware, which already sent anyone signed out to the sign-in page.
    Pages open to everyone (@login_not_required: /healthz, a buyer's room) stay open, but
    the admin is held to it like every other page, its own sign-in included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match.view_name in OPEN_VIEWS:
            return None
        if match.namespace != "admin" and not getattr(view_func, "login_required", True):
            return None
        if second_step_pending(request):
            return _redirect(request, "twofactor:verify")
        if two_factor_required(user):
            return _redirect(request, "twofactor:enrol")
        return None


def _redirect(request: HttpRequest, name: str) -> HttpResponse:
    target = reverse(name)
    if request.method == "GET" and not getattr(request, "htmx", False):
        target += "?" + urlencode({"next": request.get_full_path()}, safe="/")
    if getattr(request, "htmx", False):
        # A fragment request would swap the step's page into part of another: reload whole.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)
