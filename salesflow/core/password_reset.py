"""Password reset by email: Django's views and token, the email written to the outbox, and a
rate limit per address and per client address.

The answer never tells whether an account uses the address: a known, unknown, inactive or
rate-limited request takes the same path (the same user query, a token made and the email
rendered, for a stand-in when no account matches) and ends on the same "on its way" page;
only whether an outbox row is written differs."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.http import HttpResponse
from django.template import loader
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator

from salesflow.core.models import User
from salesflow.core.net import client_ip
from salesflow.core.outbox.services import Email, outbox_emails_add


def timeout_text() -> str:
    """How long a link lasts, in words ("1 hour", "30 minutes")."""
    minutes = max(settings.PASSWORD_RESET_TIMEOUT // 60, 1)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _hit(key: str, limit: int) -> bool:
    """Count one request under `key` for an hour; True when this one is over `limit`.

    A fixed one-hour window in the shared cache (Redis in production), so every web process
    counts together; axes counts failed sign-ins, not requests, so it does not fit here."""
    window = 3600
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: a fresh window
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def reset_rate_limited(email: str, ip: str) -> bool:
    """Count this request for the address and the client; True if either is over its limit.
    Both are counted every time, so a limited client cannot probe with fresh addresses."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    by_address = _hit(f"pwreset:email:{digest}", settings.SALESFLOW_PASSWORD_RESET_PER_ADDRESS)
    by_ip = _hit(f"pwreset:ip:{ip}", settings.SALESFLOW_PASSWORD_RESET_PER_IP)
    return by_address or by_ip


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form (active users with a usable password only), sending through the outbox
    so a broker or SMTP outage delays the email instead of losing it."""

    # Set by the view when the request is over its rate limit: everything is done as usual
    # except writing the email, so the limited answer takes as long as any other.
    hold: bool = False

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.rendered = False
        super().save(*args, **kwargs)
        if not self.rendered:
            # No account matched: make a token and render the email all the same, for a
            # stand-in nobody, so an unknown address is not told apart by a quicker answer.
            stand_in = User(pk=0, email=self.cleaned_data["email"])
            context = {
                "email": stand_in.email,
                "domain": "localhost",
                "site_name": "salesflow",
                "uid": "MA",
                "user": stand_in,
                "token": default_token_generator.make_token(stand_in),
                "protocol": "https",
                "timeout_text": timeout_text(),
            }
            hold, self.hold = self.hold, True
            try:
                self.send_mail(
                    kwargs.get("subject_template_name", PasswordResetView.subject_template_name),
                    kwargs.get("email_template_name", PasswordResetView.email_template_name),
                    context,
                    None,
                    stand_in.email,
                )
            finally:
                self.hold = hold

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        self.rendered = True
        if self.hold:
            return
        outbox_emails_add([Email(recipient=to_email, subject=subject, body=body)])


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        form.hold = reset_rate_limited(form.cleaned_data["email"], client_ip(self.request))
        # The product's name, not the host the request came to (which the link still uses).
        self.extra_email_context = {"site_name": "salesflow", "timeout_text": timeout_text()}
        return super().form_valid(form)


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "timeout_text": timeout_text()}


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    # Never sign in from a link: the user signs in afterwards, second step included.
    post_reset_login = False
    success_url = reverse_lazy("password_reset_complete")


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    pass
