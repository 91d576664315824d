"""API tokens in Django REST framework: `Authorization: Bearer sf_…` (or `Token sf_…`)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from salesflow.core.apitokens.models import ApiToken
from salesflow.core.apitokens.services import TokenRefused, apitoken_check
from salesflow.core.audit.context import API, attach
from salesflow.core.models import User

KEYWORDS = {"bearer", "token"}


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Signs a request in as the owner of the token it carries; request.auth is the token.

    A request without an Authorization header of ours is left to the next authentication
    class (the session, for the browsable API)."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>', with no spaces in it."
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Unknown token.") from None
        try:
            token = apitoken_check(secret)
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        # The audit history names the token as the door's detail (the middleware opened
        # the request's context before DRF knew who was calling).
        attach(door=API, detail=token.name, user=token.user_id)
        # Likewise the time zone: the middleware found nobody signed in, so what this
        # request says of times (a follow-up "held until Tuesday 09:00", dates and
        # offsets) would be in the server's zone; the middleware deactivates it after.
        timezone.activate(token.user.zone)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # With a WWW-Authenticate challenge DRF answers 401 to a missing or bad token
        # (without one it would say 403, as if the caller were known and refused).
        return "Bearer"
