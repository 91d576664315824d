from __future__ import annotations

from django.conf import settings

from salesflow.core.models import User


def two_factor_required(user: User) -> bool:
    """Whether the user must sign in with a second factor: with SALESFLOW_REQUIRE_2FA on,
    whoever sees every team's records and configures the process (sales ops, admins) —
    a stolen password of theirs opens everything."""
    return bool(settings.SALESFLOW_REQUIRE_2FA) and user.sees_everything
