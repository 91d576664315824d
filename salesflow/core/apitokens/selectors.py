from __future__ import annotations

from django.db.models import QuerySet

from salesflow.core.apitokens.models import ApiToken
from salesflow.core.models import User


def apitokens_for_user(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first, revoked ones included (a record of what was)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def apitokens_all() -> QuerySet[ApiToken]:
    """Everyone's tokens, for admins."""
    return ApiToken.objects.select_related("user").order_by("-created_at", "-pk")


def live_apitoken_count(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
