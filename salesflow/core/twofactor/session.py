"""What a session remembers of the second step: whether it still owes one."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from salesflow.core.models import User
from salesflow.core.twofactor import selectors

# Set at sign-in: True while the user has an authenticator and this session has not yet
# passed the second step. Kept in the session so pages do not look for devices each time.
PENDING_KEY = "twofactor_pending"
# Recovery codes just made, shown (and downloadable) until the user says they kept them.
FRESH_CODES_KEY = "twofactor_fresh_codes"
# The secret being set up on the enrolment page, until a code confirms it.
ENROL_SECRET_KEY = "twofactor_enrol_secret"


@receiver(user_logged_in, dispatch_uid="salesflow.core.twofactor.session.mark_pending")
def mark_pending(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[PENDING_KEY] = selectors.has_two_factor(user)


def second_step_pending(request: HttpRequest) -> bool:
    """Whether the signed-in, unverified user of this session owes the second step."""
    pending = request.session.get(PENDING_KEY)
    if pending is None:  # a session from before two-factor sign-in existed
        pending = request.session[PENDING_KEY] = selectors.has_two_factor(request.user)
    return bool(pending)
