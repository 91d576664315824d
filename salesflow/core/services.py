"""Writes for people, teams and the system plumbing."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from salesflow.core.models import Notification, Team, User, WorkerHeartbeat
from salesflow.core.permissions import STAFF_ROLES

M = TypeVar("M", bound=models.Model)


@transaction.atomic
def model_update(
    *,
    instance: M,
    fields: Collection[str],
    data: Mapping[str, Any],
    check: Callable[[M, dict[str, Any]], None] | None = None,
    validate: Callable[[M], None] | None = None,
    related: Collection[str] = (),
    exclude: Collection[str] = (),
) -> tuple[M, dict[str, Any]]:
    """The one recipe for a service that edits a row: lock → check → set → clean → save.

    After HackSoft's Django-Styleguide `model_update`, with salesflow's habits added:
    - the row is read again under `select_for_update` (with `related` joined), so access
      is checked on the stored row, never on an instance a bound form has already changed,
      and two editors take turns;
    - `check(locked, data)` runs on the locked row before anything is set: it refuses by
      raising, and may add values that follow from the request to `data` (its own copy);
    - only the fields whose value differs are set; nothing changed → nothing is saved;
    - then `full_clean(exclude=…)`, `validate(locked)` for what the database cannot check,
      and `save(update_fields=…)` with the changed fields and any `auto_now` field.

    `data` may only name `fields` (a TypeError otherwise: a caller's mistake, not a user's).
    Returns the locked, updated row and what changed: {field: its old value} — a foreign
    key's old value is its id — empty when nothing did (HackSoft's `has_updated`)."""
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(
            f"{type(instance).__name__} updates cannot change {', '.join(sorted(unknown))}"
        )
    model = type(instance)
    # Only the row itself is locked: the rows joined for the checks are read, not changed
    # (and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join).
    locked = (
        model._default_manager.select_for_update(of=("self",))
        .select_related(*related)
        .get(pk=instance.pk)
    )
    wanted = dict(data)
    if check is not None:
        check(locked, wanted)
    changed: dict[str, Any] = {}
    for name, value in wanted.items():
        field = model._meta.get_field(name)
        # A foreign key is compared by id, so comparing never loads the related row.
        if field.is_relation:
            old = getattr(locked, field.attname)
            new = value.pk if isinstance(value, models.Model) else value
        else:
            old, new = getattr(locked, name), value
        if old != new:
            changed[name] = old
            setattr(locked, name, value)
    if not changed:
        return locked, changed
    locked.full_clean(exclude=list(exclude) or None)
    if validate is not None:
        validate(locked)
    stamped = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    locked.save(update_fields=[*changed, *(name for name in stamped if name not in changed)])
    return locked, changed


def worker_heartbeat_record(*, worker: str, at: datetime | None = None) -> WorkerHeartbeat:
    """Upsert the worker's row: running it twice is harmless, so its task may ack late."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker=worker[:200], defaults={"last_seen": at or timezone.now()}
    )
    return heartbeat


@transaction.atomic
def team_create(*, name: str, manager: User | None = None) -> Team:
    team = Team(name=name, manager=manager)
    team.full_clean()
    team.save()
    team_join_manager(team=team)
    return team


def team_join_manager(*, team: Team) -> None:
    """A team's manager is one of its members: they see and coach the team's deals."""
    if team.manager is not None and team.manager.team_id != team.pk:
        team.manager.team = team
        team.manager.save(update_fields=["team"])


def user_apply_role(*, user: User) -> None:
    """The role is the source of truth for admin-site access: sales ops and admins configure."""
    user.is_staff = user.role in STAFF_ROLES
    user.is_superuser = user.role == User.Role.ADMIN


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    team: Team | None = None,
) -> User:
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        team=team,
    )
    user_apply_role(user=user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def notifications_mark_read(*, user: User) -> int:
    """Mark everything the user has been told as read; returns how many were unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_mark_read(*, user: User, pk: int) -> bool:
    """Mark one of the user's notifications read; False if it was read already (its read
    time is kept: the first reading is the one that counts). Someone else's is untouched."""
    return bool(
        Notification.objects.filter(pk=pk, user=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )
