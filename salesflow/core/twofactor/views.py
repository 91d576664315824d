"""The pages of two-factor sign-in: the second step, enrolment, recovery codes, turning off."""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from salesflow.core.twofactor import selectors, services
from salesflow.core.twofactor.access import two_factor_required
from salesflow.core.twofactor.forms import CodeForm
from salesflow.core.twofactor.session import (
    ENROL_SECRET_KEY,
    FRESH_CODES_KEY,
    PENDING_KEY,
    second_step_pending,
)

LOCKED_OUT_TEMPLATE = "registration/locked_out.html"


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a step: the page first asked for, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_next(name: str, next_url: str) -> str:
    return (
        f"{reverse(name)}?{urlencode({'next': next_url}, safe='/')}" if next_url else reverse(name)
    )


def _passed(request: HttpRequest, device: Device) -> None:
    """The session has passed the second step with `device`."""
    # A new session key for a session that just gained a privilege (as signing in does).
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[PENDING_KEY] = False


def show_code(code: str) -> str:
    """A recovery code as shown and printed: two halves, easier to copy by hand."""
    return f"{code[:4]}-{code[4:]}"


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app or a recovery code.

    A wrong code counts as a failed sign-in for the lock-out (django-axes), on top of
    django-otp's throttling of the device, so guessing codes is no faster than guessing
    passwords; once locked out, the half-finished sign-in ends.
    """
    user = request.user
    next_url = _next_url(request, reverse("home"))
    if user.is_verified() or not second_step_pending(request):
        return redirect(next_url)
    if not selectors.has_two_factor(user):  # reset by an admin since this sign-in began
        request.session[PENDING_KEY] = False
        return redirect(next_url)
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return render(request, LOCKED_OUT_TEMPLATE, status=429)
    form = CodeForm(request.POST or None)
    # The page's one field: the cursor waits in it, as on an app's own code prompt.
    form.fields["code"].widget.attrs["autofocus"] = True
    if request.method == "POST" and form.is_valid():
        try:
            device = services.twofactor_verify(actor=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            # Only codes that were checked count: text that cannot be a code guesses nothing.
            form.add_error("code", error)
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                logout(request)
                return render(request, LOCKED_OUT_TEMPLATE, status=429)
        else:
            _passed(request, device)
            if isinstance(device, StaticDevice):
                left = selectors.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. "
                    "Make new ones on the two-factor page if you are running out.",
                )
            return redirect(next_url)
    context = {"form": form, "next": next_url, "hide_navigation": True}
    return render(
        request, "core/twofactor/verify.html", context, status=422 if form.errors else 200
    )


@never_cache
def settings_page(request: HttpRequest) -> HttpResponse:
    return _settings(request, CodeForm(), status=200)


def _settings(request: HttpRequest, disable_form: CodeForm, *, status: int) -> HttpResponse:
    user = request.user
    enabled = selectors.has_two_factor(user)
    context = {
        "enabled": enabled,
        "required": two_factor_required(user),
        "codes_left": selectors.recovery_codes_left(user) if enabled else 0,
        "disable_form": disable_form,
    }
    return render(request, "core/twofactor/settings.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), type a code."""
    user = request.user
    next_url = _next_url(request, "")
    if selectors.has_two_factor(user):
        if not user.is_verified():
            request.session[PENDING_KEY] = True
            return redirect(_with_next("twofactor:verify", next_url))
        messages.info(request, "Two-factor sign-in is already on.")
        return redirect("twofactor:settings")
    # The secret waits in the session until a code confirms it: no half-made device rows,
    # and reloading the page keeps the QR code the app may have scanned already.
    secret = request.session.get(ENROL_SECRET_KEY)
    if not isinstance(secret, str):
        secret = request.session[ENROL_SECRET_KEY] = services.new_secret()
    form = CodeForm(request.POST or None, recovery=False)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.twofactor_enrol(
                actor=user, secret=secret, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            del request.session[ENROL_SECRET_KEY]
            _passed(request, device)
            request.session[FRESH_CODES_KEY] = codes
            messages.success(request, "Two-factor sign-in is on.")
            return redirect(_with_next("twofactor:codes", next_url))
    uri = services.provisioning_uri(user, secret)
    context = {
        "form": form,
        "next": next_url,
        "required": two_factor_required(user),
        "qr_data_uri": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
        "secret": services.secret_for_typing(secret),
        # Until a user who must enrol has done so, every other page sends them back here.
        "hide_navigation": two_factor_required(user),
    }
    return render(request, "core/twofactor/enrol.html", context, status=422 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes just made, shown until the user says they have kept them."""
    next_url = _next_url(request, reverse("twofactor:settings"))
    if request.method == "POST":
        request.session.pop(FRESH_CODES_KEY, None)
        return redirect(next_url)
    fresh = request.session.get(FRESH_CODES_KEY)
    if not fresh:
        messages.info(
            request,
            "Recovery codes are shown only once, when they are made. If you have lost "
            "yours, make new ones.",
        )
        return redirect("twofactor:settings")
    context = {"codes": [show_code(code) for code in fresh], "next": next_url}
    return render(request, "core/twofactor/codes.html", context)


@never_cache
def codes_download(request: HttpRequest) -> HttpResponse:
    """The codes just made, as a text file to keep somewhere safe."""
    fresh = request.session.get(FRESH_CODES_KEY)
    if not fresh:
        raise Http404("Recovery codes are shown only once, when they are made.")
    lines = [
        f"salesflow recovery codes for {request.user.get_username()}",
        "Each code signs you in once, instead of a code from your authenticator app.",
        "",
        *(show_code(code) for code in fresh),
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="salesflow-recovery-codes.txt"'
    return response


@require_POST
def codes_regenerate(request: HttpRequest) -> HttpResponse:
    try:
        fresh = services.twofactor_codes_regenerate(actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("twofactor:settings")
    request.session[FRESH_CODES_KEY] = fresh
    messages.success(request, "New recovery codes made; the old ones no longer work.")
    return redirect("twofactor:codes")


@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            services.twofactor_disable(actor=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            request.session[PENDING_KEY] = False
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("twofactor:settings")
    return _settings(request, form, status=422)
