from __future__ import annotations

from django.http import Http404

from salesflow.core.apitokens.models import ApiToken
from salesflow.core.models import User


def can_manage_apitoken(user: User, token: ApiToken) -> bool:
    """The owner, and admins (who may cut off anyone's access)."""
    return token.user_id == user.pk or user.is_admin


def get_apitoken_for_user(user: User, pk: object) -> ApiToken:
    """The token if `user` may manage it, else 404: someone else's token is not there at all
    for them (not even whether that number exists)."""
    try:
        number = int(str(pk))
    except ValueError:
        raise Http404("No such token.") from None
    # Past a bigint, PostgreSQL would refuse the query itself.
    token = (
        ApiToken.objects.select_related("user").filter(pk=number).first()
        if 0 < number < 2**63
        else None
    )
    if token is None or not can_manage_apitoken(user, token):
        raise Http404("No such token.")
    return token
