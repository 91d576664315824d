"""Every write of API tokens: create, revoke, and the check each API request makes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from salesflow.core.apitokens.access import can_manage_apitoken
from salesflow.core.apitokens.models import ApiToken
from salesflow.core.models import User

# Recognisable in a config file or a leaked paste (and by secret scanners): "sf_…".
SECRET_PREFIX = "sf_"
PREFIX_LENGTH = 8
MAX_LIVE_TOKENS = 20
NAME_MAX_LENGTH = 100
# Writing last_used_at on every request would make each API call a write; to the minute
# is as precise as anyone reading "last used" needs.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenRefused(Exception):
    """A secret that opens nothing, with the reason to tell its sender (never whose it is)."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def apitoken_create(
    *, actor: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `actor`, and its secret: the only time the secret exists outside the
    caller's hands, since only its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. where it will be used."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Keep the name under {NAME_MAX_LENGTH} characters."})
    if "\x00" in name:
        raise ValidationError({"name": "The name cannot contain null characters."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Pick an expiry date in the future."})
    # Locking the owner's row makes two simultaneous creations take turns, so neither the
    # limit nor the name check is passed by both at once.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    live = ApiToken.objects.filter(user=actor, revoked_at__isnull=True)
    if live.filter(name=name).exists():
        raise ValidationError({"name": "You already have a token with this name."})
    if live.count() >= MAX_LIVE_TOKENS:
        raise ValidationError(
            f"You have {MAX_LIVE_TOKENS} tokens, the most one person may hold. "
            "Revoke one you no longer use first."
        )
    secret = new_secret()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=hash_secret(secret),
        expires_at=expires_at,
    )
    return token, secret


@transaction.atomic
def apitoken_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke `token` for good. Its owner or an admin; revoking twice says so."""
    if not can_manage_apitoken(actor, token):
        raise PermissionDenied("Only the token's owner or an admin can revoke it.")
    now = timezone.now()
    # Guarded: of two revocations at once, one wins and the time it records stays put.
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if updated != 1:
        raise ValidationError("This token was already revoked.")
    token.revoked_at = now
    return token


def apitoken_check(secret: str) -> ApiToken:
    """The token `secret` opens, with its user loaded; TokenRefused says why not."""
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=hash_secret(secret or "")).first()
    )
    if token is None:
        raise TokenRefused("Unknown token.")
    if token.revoked_at is not None:
        raise TokenRefused("This token was revoked.")
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        # Said to a script holding the token: no session chose a zone for this request
        # (the middleware runs before the token is read), so the day is the token
        # owner's, as their tokens page shows it.
        when = date_format(timezone.localtime(token.expires_at, token.user.zone), "j F Y")
        raise TokenRefused(f"This token expired on {when}.")
    if not token.user.is_active:
        raise TokenRefused("This token's account is deactivated.")
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_PRECISION:
        # Conditional: of many requests in the same minute (across processes) one writes.
        ApiToken.objects.filter(pk=token.pk, last_used_at=token.last_used_at).update(
            last_used_at=now
        )
        token.last_used_at = now
    return token


def apitoken_authenticate(secret: str) -> ApiToken | None:
    """The usable token `secret` opens (its last use recorded), or None."""
    try:
        return apitoken_check(secret)
    except TokenRefused:
        return None
