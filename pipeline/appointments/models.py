"""Appointments: a call, meeting or demo at a time the prospect agreed to, and the history of
its moves (who moved it, from when to when)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models

from pipeline.deals.models import Opportunity
from salesflow.core.audit.tracking import audited


@audited(
    "AppointmentAudit",
    fields=[
        "account",
        "opportunity",
        "owner",
        "kind",
        "starts_at",
        "duration_minutes",
        "place",
        "agenda",
        "status",
    ],
)
class Appointment(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        DEMO = "demo", "Demo"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    # Planned is the only open status; held and cancelled are final.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.PLANNED: frozenset({Status.HELD, Status.CANCELLED}),
        Status.HELD: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    account = models.ForeignKey(
        "prospects.Account", on_delete=models.CASCADE, related_name="appointments"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name="deal",
    )
    contacts = models.ManyToManyField("prospects.Contact", blank=True, related_name="appointments")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CALL)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    place = models.CharField(
        max_length=500, blank=True, help_text="Where you meet, or the call's link."
    )
    agenda = models.TextField(blank=True, max_length=5_000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once by the reminder sweep when it claims the appointment; moving it clears it,
    # so the new time is reminded of too.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            # The upcoming lists (a rep's, a deal's) and the reminder sweep read planned rows
            # by start time.
            models.Index(
                fields=["owner", "starts_at"],
                name="appointment_owner_upcoming",
                condition=models.Q(status="planned"),
            ),
            models.Index(
                fields=["opportunity", "starts_at"],
                name="appointment_deal_upcoming",
                condition=models.Q(status="planned"),
            ),
            models.Index(
                fields=["starts_at"],
                name="appointment_to_remind",
                condition=models.Q(status="planned", reminded_at__isnull=True),
            ),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=1440),
                name="appointment_duration_sensible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.account} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class AppointmentChange(models.Model):
    """One move of an appointment's time, kept so the history says who asked for it."""

    class MovedBy(models.TextChoices):
        PROSPECT = "prospect", "Moved by the prospect"
        US = "us", "Moved by us"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    old_starts_at = models.DateTimeField()
    new_starts_at = models.DateTimeField()
    moved_by = models.CharField(max_length=8, choices=MovedBy.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_moved_by_display()}: {self.old_starts_at} → {self.new_starts_at}"
