from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet

from salesflow.core.audit.tracking import audited


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone, e.g. Europe/London.") from None


def default_time_zone() -> str:
    return settings.TIME_ZONE


@audited(
    "TeamAudit",
    fields=[
        "name",
        "manager",
        "review_followups",
    ],
)
class Team(models.Model):
    """A manager and the reps they coach; the unit of visibility for deals and accounts."""

    name = models.CharField(max_length=100, unique=True)
    manager = models.ForeignKey(
        "core.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
        limit_choices_to={"role": "manager"},
    )
    review_followups = models.BooleanField(
        "review follow-up drafts",
        default=False,
        help_text="A second set of eyes: the manager reviews each follow-up's draft "
        "before it surfaces.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.manager_id and not self.manager.is_manager:
            raise ValidationError({"manager": "A team's manager must have the manager role."})
        if self.review_followups and not self.manager_id:
            raise ValidationError(
                {"review_followups": "Only a team with a manager can have its drafts reviewed."}
            )


class SalesflowUserManager(UserManager["User"]):
    def create_superuser(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: object,
    ) -> User:
        # `createsuperuser` makes an admin by role too, so editing them later keeps their access.
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)

    def seeing_everything(self) -> QuerySet[User]:
        """The users for whom sees_everything is true, as a query (User.SEEING_EVERYTHING)."""
        return self.filter(User.SEEING_EVERYTHING)


@audited(
    "UserAudit",
    fields=[
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "team",
        "is_active",
        "is_staff",
        "is_superuser",
    ],
)
class User(AbstractUser):
    class Role(models.TextChoices):
        REP = "rep", "Sales rep"
        MANAGER = "manager", "Manager"
        SALES_OPS = "sales_ops", "Sales ops"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    # Patience windows ("the next business morning") are computed in the rep's own zone.
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )

    objects = SalesflowUserManager()

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = [self.first_name, self.last_name] if self.first_name else [self.username]
        return "".join(part[0] for part in parts if part).upper()[:2]

    # Role predicates: every access rule asks these instead of comparing roles by hand, so
    # what "a manager" or "an admin" may do is read the same way everywhere.

    @property
    def sees_everything(self) -> bool:
        """Sales ops and admins see every team's data."""
        return self.role in {self.Role.SALES_OPS, self.Role.ADMIN} or self.is_superuser

    # sees_everything for many users at once, as a condition for a query
    # (User.objects.seeing_everything()). The two say one rule twice, in Python and in SQL:
    # change them together (tests/core/test_access.py checks they agree for every role,
    # superuser or not).
    SEEING_EVERYTHING = Q(role__in=[Role.SALES_OPS, Role.ADMIN]) | Q(is_superuser=True)

    @property
    def is_rep(self) -> bool:
        return self.role == self.Role.REP

    @property
    def is_manager(self) -> bool:
        """A manager by role, of whichever team they belong to (is_manager_of says which)."""
        return self.role == self.Role.MANAGER

    @property
    def is_admin(self) -> bool:
        """An admin by role, or a superuser made outside the roles (createsuperuser)."""
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def oversees_others(self) -> bool:
        """Whether the user's work includes watching others' (managers, sales ops, admins): a
        rep's dashboard is their own figures, and the navigation offers the dashboard and the
        SOE templates to the others (pipeline.dashboard.scope.sees_own_only)."""
        return not self.is_rep or self.sees_everything

    def is_manager_of(self, team: Team | int | None) -> bool:
        """Whether the user manages this team (a Team or its id): a manager by role who
        belongs to it. Membership (user.team), not Team.manager, is what every access rule
        reads: a manager sees and edits what their team's members own."""
        team_id = team.pk if isinstance(team, Team) else team
        return self.is_manager and team_id is not None and team_id == self.team_id


class WorkerHeartbeat(models.Model):
    """Last time each Celery worker ran the heartbeat task: are background jobs alive?"""

    worker = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app message to one person: a stuck deal today, surfaced follow-ups later."""

    class Kind(models.TextChoices):
        STUCK_DEAL = "stuck_deal", "Stuck deal"
        FOLLOW_UP = "follow_up", "Follow-up surfaced"
        WEBHOOK = "webhook", "Webhook paused or disabled"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # One notification per thing and event ("follow-up 12 surfaced"): a retried task
    # finds it already there and sends nothing twice.
    key = models.CharField(max_length=100, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"]),
            # The API's keyset over all of a user's notifications, newest first.
            models.Index(fields=["user", "-created_at", "-id"]),
        ]

    def __str__(self) -> str:
        return self.title


# The outbox's, the API tokens', the API's idempotency keys', the webhooks' and the lists'
# (saved views, column choices) tables live in their own packages; importing them here
# registers them with the app.
from salesflow.core.api.models import IdempotencyKey  # noqa: E402
from salesflow.core.apitokens.models import ApiToken  # noqa: E402
from salesflow.core.lists.models import ListColumns, SavedView  # noqa: E402
from salesflow.core.outbox.models import OutboxMessage  # noqa: E402
from salesflow.core.webhooks.models import WebhookAttempt, WebhookEndpoint  # noqa: E402

__all__ = [
    "ApiToken",
    "IdempotencyKey",
    "ListColumns",
    "Notification",
    "OutboxMessage",
    "SavedView",
    "Team",
    "User",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WorkerHeartbeat",
]
