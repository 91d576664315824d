from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from salesflow.core.apitokens.models import ApiToken

if TYPE_CHECKING:  # rest_framework.views loads this module from its settings: no cycle
    from rest_framework.views import APIView


class ApiTokenRateThrottle(SimpleRateThrottle):
    """SALESFLOW_API_RATE requests per token (per user for a browser's session; per address
    for anyone signed out); past it DRF answers 429 with Retry-After."""

    scope = "salesflow_api"

    def get_rate(self) -> str:
        # Read at each request rather than from REST_FRAMEWORK's table, so the one setting
        # (parsed strictly at start-up) is the whole story.
        return settings.SALESFLOW_API_RATE

    def get_cache_key(self, request: Request, view: APIView) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
