"""The sweep: surfaces the held follow-ups whose time has come, and tells their owners.

Run by the beat (pipeline.tasks.surface_due_followups) and the surface_followups command;
correctness lives in the database (FollowUp.surface_at and the status), so a sweep may run
late, twice or in parallel, and notifications the queue lost are sent by the next one."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from pipeline.followups import selectors as followup_selectors
from pipeline.followups.models import FollowUp, FollowUpEvent
from salesflow.core import transitions
from salesflow.core.models import Notification

logger = logging.getLogger(__name__)

SURFACE_BATCH = 500


def followups_surface_due(
    *, now: datetime | None = None, batch: int = SURFACE_BATCH, limit: int | None = None
) -> int:
    """Surface every held follow-up whose time has come; safe with any number of sweeps
    at once. Each batch is claimed with SKIP LOCKED, so two sweeps never take the same
    rows, and the notifications are queued only once the batch has committed. Each batch
    commits on its own: a sweep killed half-way leaves whole batches surfaced and the rest
    held, for the next sweep. `limit` stops after about that many (for paced runs)."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            due = (
                FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(followup_selectors.followup_surfaces_condition(now=now))
                .order_by("surface_at", "pk")
                .values_list("pk", flat=True)[:batch]
            )
            ids = list(due)
            if not ids:
                return total
            surfaced = FollowUp.Status.SURFACED
            FollowUp.objects.filter(
                pk__in=ids, status__in=transitions.sources(FollowUp.TRANSITIONS, surfaced)
            ).update(status=surfaced, surfaced_at=now)
            FollowUpEvent.objects.bulk_create(
                FollowUpEvent(follow_up_id=pk, action=FollowUpEvent.Action.SURFACED, at=now)
                for pk in ids
            )
            transaction.on_commit(lambda ids=ids: _queue_notifications(ids))
        total += len(ids)
        if limit is not None and total >= limit:
            return total


def _queue_notifications(ids: list[int]) -> None:
    from pipeline import tasks  # the task module imports this one

    try:
        tasks.notify_followups_surfaced.delay(ids)
    except Exception:  # noqa: BLE001 - any broker failure: the next sweep catches up
        logger.warning("Could not queue notifications for %d follow-ups; will retry", len(ids))


def followups_notify_pending(*, within: timedelta = timedelta(days=2)) -> int:
    """Notify surfaced follow-ups nobody was told about yet (the queue was down, a worker
    died): correctness never depends on the queue having delivered."""
    since = timezone.now() - within
    told = Notification.objects.filter(
        key=Concat(Value("follow-up:"), Cast(OuterRef("pk"), CharField()), Value(":surfaced"))
    )
    pending = FollowUp.objects.filter(
        status=FollowUp.Status.SURFACED, surfaced_at__gte=since
    ).exclude(Exists(told))
    ids = list(pending.values_list("pk", flat=True)[:SURFACE_BATCH])
    return followups_notify_surfaced(follow_up_ids=ids) if ids else 0


def followups_notify_surfaced(*, follow_up_ids: list[int]) -> int:
    """Tell each owner once, in the app and by email; a repeat finds its key and skips."""
    sent = 0
    for follow_up in FollowUp.objects.filter(
        pk__in=follow_up_ids, status=FollowUp.Status.SURFACED
    ).select_related("account", "owner"):
        url = reverse("pipeline:followup_detail", args=[follow_up.pk])
        _, created = Notification.objects.get_or_create(
            key=f"follow-up:{follow_up.pk}:surfaced",
            defaults={
                "user": follow_up.owner,
                "kind": Notification.Kind.FOLLOW_UP,
                "title": f"Time to follow up with {follow_up.account.name}"[:200],
                "body": f"Purpose: {follow_up.purpose}",
                "url": url,
            },
        )
        if created and follow_up.owner.email:
            send_mail(
                subject=f"salesflow: time to follow up with {follow_up.account.name}",
                message=f"{follow_up.purpose}\n\n{follow_up.draft}".strip(),
                from_email=None,
                recipient_list=[follow_up.owner.email],
                fail_silently=True,
            )
        sent += created
    return sent
