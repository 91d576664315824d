"""Reads for people, teams and system status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from salesflow.core.models import Notification, OutboxMessage, Team, User, WorkerHeartbeat


def team_of(*, user: User) -> Team | None:
    """The user's team with its manager, in one query."""
    if user.team_id is None:
        return None
    return Team.objects.select_related("manager").filter(pk=user.team_id).first()


def team_members(*, team: Team | None) -> QuerySet[User]:
    if team is None:
        return User.objects.none()
    return User.objects.filter(team=team, is_active=True).order_by("role", "first_name")


def teams_overview() -> QuerySet[Team]:
    """Every team with its manager and head count, in one query."""
    return Team.objects.select_related("manager").annotate(
        member_count=Count("members", distinct=True)
    )


@dataclass(frozen=True)
class WorkerStatus:
    state: str  # "ok", "stale" or "unknown"
    last_seen: datetime | None
    age: timedelta | None

    def as_json(self) -> dict[str, object]:
        return {
            "status": self.state,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "age_seconds": round(self.age.total_seconds()) if self.age is not None else None,
        }


def worker_status(*, now: datetime | None = None) -> WorkerStatus:
    latest = WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True)
    last_seen = latest.first()
    if last_seen is None:
        return WorkerStatus(state="unknown", last_seen=None, age=None)
    age = (now or timezone.now()) - last_seen
    stale = age > settings.SALESFLOW_HEARTBEAT_STALE_AFTER
    return WorkerStatus(state="stale" if stale else "ok", last_seen=last_seen, age=age)


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first; `email_failed` says the email repeating one
    could not be delivered (the outbox gave up on it)."""
    undelivered = OutboxMessage.objects.filter(
        notification=OuterRef("pk"), status=OutboxMessage.Status.FAILED
    )
    return (
        Notification.objects.filter(user=user)
        .annotate(email_failed=Exists(undelivered))
        .order_by("-created_at", "-pk")
    )


def unread_notification_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
