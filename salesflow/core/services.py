"""Writes for people, teams and the system plumbing."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from salesflow.core.models import Notification, Team, User, WorkerHeartbeat
from salesflow.core.permissions import STAFF_ROLES


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
