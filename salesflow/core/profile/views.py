"""The profile page ("You"): the signed-in user's own details, time zone, email
notifications and password, and where their two-factor sign-in, API tokens and calendar
feed stand. There is no one else's profile to ask for: every view reads request.user.

Each section posts to its own address and is saved on its own; a refused form comes back
on the whole page with status 422, the other sections as they are stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from salesflow.core.apitokens.selectors import live_apitoken_count
from salesflow.core.models import User
from salesflow.core.panels import PROFILE
from salesflow.core.profile import services
from salesflow.core.profile.forms import DetailsForm, EmailsForm, PasswordForm, TimeZoneForm
from salesflow.core.twofactor import selectors as twofactor_selectors
from salesflow.core.twofactor.access import two_factor_required
from salesflow.core.web import form_errors_to


def _render(request: HttpRequest, *, status: int = 200, **bound: forms.Form) -> HttpResponse:
    user: User = request.user
    two_factor = twofactor_selectors.has_two_factor(user)
    context: dict[str, Any] = {
        "details_form": DetailsForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
            }
        ),
        "time_zone_form": TimeZoneForm(initial={"time_zone": user.time_zone}),
        "emails_form": EmailsForm.for_user(user),
        "password_form": PasswordForm(user),
        "two_factor": two_factor,
        "two_factor_required": two_factor_required(user),
        "recovery_codes_left": twofactor_selectors.recovery_codes_left(user) if two_factor else 0,
        "live_tokens": live_apitoken_count(user),
        **PROFILE.context(user),
        **bound,
    }
    return render(request, "core/profile.html", context, status=status)


@never_cache
@require_safe
def page(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _section(
    request: HttpRequest,
    *,
    name: str,
    form: forms.Form,
    save: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Parse the section's form and save it through its service; a refusal shows on the page."""
    if form.is_valid():
        try:
            said = save(form.cleaned_data)
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, said)
            # Back to the top, where the confirmation shows.
            return redirect("profile:page")
    return _render(request, status=422, **{name: form})


@require_POST
def details(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> str:
        changed = services.profile_update_details(actor=request.user, **data)
        return "Your details are saved." if changed else "Your details were already so."

    return _section(request, name="details_form", form=DetailsForm(request.POST), save=save)


@require_POST
def time_zone(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> str:
        services.profile_set_time_zone(actor=request.user, time_zone=data["time_zone"])
        return f"Times are now shown in {data['time_zone']}."

    return _section(
        request,
        name="time_zone_form",
        form=TimeZoneForm(request.POST),
        save=save,
    )


@require_POST
def emails(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> str:
        services.profile_set_emails(actor=request.user, wanted=data["wanted"])
        return "Your email notifications are saved."

    return _section(request, name="emails_form", form=EmailsForm(request.POST), save=save)


@never_cache
@require_POST
def password(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> str:
        try:
            user = services.profile_change_password(
                actor=request.user, password=data["new_password1"]
            )
        except ValidationError as error:
            raise ValidationError({"new_password2": error.messages}) from None
        # This session stays signed in; the others, holding the old password's hash, end.
        update_session_auth_hash(request, user)
        return "Your password is changed. Other browsers signed in as you are signed out."

    return _section(
        request,
        name="password_form",
        form=PasswordForm(request.user, request.POST),
        save=save,
    )
