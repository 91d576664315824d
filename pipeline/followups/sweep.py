"""The sweep: surfaces the held follow-ups whose time has come, and tells their owners.

Run by the beat (pipeline.tasks.surface_due_followups) and the surface_followups command;
correctness lives in the database (FollowUp.surface_at and the status), so a sweep may run
late, twice or in parallel. Owners are told in the surfacing transaction itself: the
notification and the email (salesflow.core.outbox) commit with the surfaced status, and the
outbox's senders deliver the email afterwards."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pipeline.followups import selectors as followup_selectors
from pipeline.followups.models import FollowUp, FollowUpEvent
from salesflow.core import transitions
from salesflow.core.models import Notification
from salesflow.core.outbox import services as outbox_services
from salesflow.core.webhooks.events import webhook_events_bulk

SURFACE_BATCH = 500


def followups_surface_due(
    *, now: datetime | None = None, batch: int = SURFACE_BATCH, limit: int | None = None
) -> int:
    """Surface every held follow-up whose time has come and tell each owner, in the app and
    by email; safe with any number of sweeps at once. Each batch is claimed with SKIP
    LOCKED, so two sweeps never take the same rows, and commits on its own with its
    notifications and its emails (written to the outbox): a sweep killed half-way leaves
    whole batches surfaced and told, the rest held for the next sweep, and nobody surfaced
    without being told. `limit` stops after about that many (for paced runs)."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            due = list(
                FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(followup_selectors.followup_surfaces_condition(now=now))
                .order_by("surface_at", "pk")
                .values(
                    "pk",
                    "owner_id",
                    "owner__email",
                    "owner__emails_muted",
                    "account__name",
                    "purpose",
                    "draft",
                )[:batch]
            )
            if not due:
                return total
            ids = [row["pk"] for row in due]
            surfaced = FollowUp.Status.SURFACED
            FollowUp.objects.filter(
                pk__in=ids, status__in=transitions.sources(FollowUp.TRANSITIONS, surfaced)
            ).update(status=surfaced, surfaced_at=now)
            FollowUpEvent.objects.bulk_create(
                FollowUpEvent(follow_up_id=pk, action=FollowUpEvent.Action.SURFACED, at=now)
                for pk in ids
            )
            _tell_owners(due)
            # One query for the endpoints whatever the batch's size (none: nothing more).
            webhook_events_bulk("follow_up.surfaced", FollowUp, ids)
        total += len(due)
        if limit is not None and total >= limit:
            return total


def _tell_owners(due: list[dict]) -> None:
    """One notification per surfaced follow-up, and its email in the outbox, in the
    surfacing transaction (the key is unique: nobody is told twice). The email only to an
    owner who has an address and has not turned these emails off (User.wants_email); the
    notification whatever they chose."""
    notifications = Notification.objects.bulk_create(
        Notification(
            key=f"follow-up:{row['pk']}:surfaced",
            user_id=row["owner_id"],
            kind=Notification.Kind.FOLLOW_UP,
            title=f"Time to follow up with {row['account__name']}"[:200],
            body=f"Purpose: {row['purpose']}",
            url=reverse("pipeline:followup_detail", args=[row["pk"]]),
        )
        for row in due
    )
    outbox_services.outbox_emails_add(
        outbox_services.Email(
            recipient=row["owner__email"],
            subject=f"salesflow: time to follow up with {row['account__name']}",
            body=f"{row['purpose']}\n\n{row['draft']}".strip(),
            key=notification.key,
            notification_id=notification.pk,
        )
        for row, notification in zip(due, notifications, strict=True)
        if row["owner__email"] and Notification.Kind.FOLLOW_UP not in row["owner__emails_muted"]
    )
