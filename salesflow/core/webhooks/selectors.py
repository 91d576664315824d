from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery

from salesflow.core.models import User
from salesflow.core.outbox.models import OutboxMessage
from salesflow.core.webhooks.access import can_manage_webhooks
from salesflow.core.webhooks.models import WebhookAttempt, WebhookEndpoint


def webhook_endpoints(*, user: User) -> QuerySet[WebhookEndpoint]:
    """Every endpoint for those who manage webhooks, newest first; nothing for anyone else."""
    if not can_manage_webhooks(user):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.select_related("owner").order_by("-created_at", "-pk")


def webhook_deliveries(*, endpoint: WebhookEndpoint, limit: int = 50) -> QuerySet[OutboxMessage]:
    """The endpoint's messages newest first, each with `attempt_count` (its logged tries)
    and `last_status_code` (the receiver's answer to the latest, None if it gave none)."""
    latest = WebhookAttempt.objects.filter(message=OuterRef("pk")).order_by("-at", "-pk")
    return (
        OutboxMessage.objects.filter(kind=OutboxMessage.Kind.WEBHOOK, webhook_endpoint=endpoint)
        .annotate(
            attempt_count=Count("webhook_attempts"),
            last_status_code=Subquery(latest.values("status_code")[:1]),
        )
        .order_by("-created_at", "-pk")[:limit]
    )


def webhook_attempts(*, message: OutboxMessage) -> QuerySet[WebhookAttempt]:
    """Every try at delivering `message`, newest first."""
    return WebhookAttempt.objects.filter(message=message).order_by("-at", "-pk")
