"""Writes of the profile page: each acts on the actor's own row, so no one reaches another's
profile through them (an admin edits other people in the admin site)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from salesflow.core.models import Notification, User
from salesflow.core.services import model_update

# The first key of the advisory lock that serialises claims on one email address (the
# second is the address's hash): see _claim_email.
EMAIL_LOCK_SPACE = 7_301

EMAIL_TAKEN = "Another person in salesflow already has this email address."


def _row(actor: User) -> User:
    """The actor's row for model_update, which reads it again under a lock: this only names
    it (the view's request.user is a lazy wrapper, not a User)."""
    return User(pk=actor.pk)


def _claim_email(*, actor: User, email: str) -> None:
    """Refuse an address another user has, however it is capitalised. Two people saving the
    same new address at once take turns on a transaction-scoped advisory lock on it, so the
    second one's check sees the first one's commit: a check alone would let both through.
    (Not a unique index: existing rows may already share an address, and the admin and
    the sign-up by command save users without this rule's message.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(lower(%s)))", [EMAIL_LOCK_SPACE, email]
        )
    if User.objects.filter(email__iexact=email).exclude(pk=actor.pk).exists():
        raise ValidationError({"email": EMAIL_TAKEN})


@transaction.atomic
def profile_update_details(
    *, actor: User, first_name: str, last_name: str, email: str
) -> dict[str, Any]:
    """The actor's name and email; returns what changed ({field: old value})."""
    email = User.objects.normalize_email(email.strip())
    if email:
        _claim_email(actor=actor, email=email)
    _, changed = model_update(
        instance=_row(actor),
        fields=("first_name", "last_name", "email"),
        data={"first_name": first_name.strip(), "last_name": last_name.strip(), "email": email},
    )
    return changed


@transaction.atomic
def profile_set_time_zone(*, actor: User, time_zone: str) -> dict[str, Any]:
    """The zone the actor's pages show times in and the patience rules count their
    mornings in. Follow-ups already held keep the moment they were given."""
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": "Choose a time zone from the list."}) from None
    _, changed = model_update(
        instance=_row(actor), fields=("time_zone",), data={"time_zone": time_zone}
    )
    return changed


@transaction.atomic
def profile_set_emails(*, actor: User, wanted: Collection[str]) -> dict[str, Any]:
    """Which kinds of notification also reach the actor by email: stored as the emailed
    kinds they turned off, so a kind added later reaches them until they say otherwise."""
    unknown = set(wanted) - set(Notification.EMAILED)
    if unknown:
        raise ValidationError("Those are not notifications salesflow sends by email.")
    muted = sorted(kind for kind in Notification.EMAILED if kind not in wanted)
    _, changed = model_update(
        instance=_row(actor), fields=("emails_muted",), data={"emails_muted": muted}
    )
    return changed


@transaction.atomic
def profile_change_password(*, actor: User, password: str) -> User:
    """A new password for the actor, checked by the site's password rules. Every session
    signed in with the old one ends (Django checks each session's hash of the password);
    the view keeps the one that asked (update_session_auth_hash)."""
    locked = User.objects.select_for_update().get(pk=actor.pk)
    password_validation.validate_password(password, locked)
    locked.set_password(password)
    locked.save(update_fields=["password"])
    return locked
