"""The sign-in lock-out's rule: per username and address, and per address alone.

django-axes counts failures per lockout parameter but holds them all to one limit. A limit
of a few failures suits a (username, address) pair; an address alone would then lock a
whole office behind one proxy after a few typos. So the pair keeps AXES_FAILURE_LIMIT and
the address, across every username it tried, has its own higher AXES_ADDRESS_FAILURE_LIMIT:
someone spraying a common password over many usernames from one address is stopped there,
while the people at another address sign in as usual.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address within the cool-off, whatever username."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class AddressLimitHandler(AxesDatabaseHandler):
    """axes' database handler, also locking an address out at its own limit.

    axes compares get_failures() with AXES_FAILURE_LIMIT wherever it decides (before a
    password is checked and after a failure), so a locked address reports at least that
    limit. The address is kept out of AXES_LOCKOUT_PARAMETERS on purpose: axes deletes the
    attempts of every parameter on a successful sign-in, and one good password from the
    address would then wipe the count of all the usernames it tried.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures < limit and address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return limit
        return failures
