"""The API's sign-in rule for sessions: the same as the pages'.

API views are @login_not_required (so they answer 401 problem details rather than
redirect to the sign-in page), which also takes them out of TwoFactorMiddleware's reach.
Without this check, a session that has only passed the password step would read
through the API what the pages still hold back behind the second step.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from salesflow.core.twofactor.access import two_factor_required
from salesflow.core.twofactor.session import second_step_pending


class SessionPassedSecondStep(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            return True  # not a session: its authentication class answers for it
        user = request._request.user
        if user.is_verified():
            return True
        if second_step_pending(request._request):
            raise exceptions.NotAuthenticated("Finish signing in: the second step is pending.")
        if two_factor_required(user):
            raise exceptions.PermissionDenied("Set up two-factor sign-in before using the API.")
        return True
