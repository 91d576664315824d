"""Who manages webhooks: sales ops and admins, who own the process and its integrations."""

from __future__ import annotations

from django.http import Http404

from salesflow.core.models import User
from salesflow.core.outbox.models import OutboxMessage
from salesflow.core.webhooks.models import WebhookEndpoint


def can_manage_webhooks(user: User) -> bool:
    """Sales ops and admins (a superuser included): the people who see every team's data,
    which is what an endpoint receives."""
    return user.is_authenticated and user.is_active and user.sees_everything


def get_webhook_endpoint_for_user(user: User, pk: object) -> WebhookEndpoint:
    """The endpoint if `user` manages webhooks, else 404: for anyone else there is nothing
    there at all (not even whether that number exists)."""
    if not can_manage_webhooks(user):
        raise Http404("No such webhook endpoint.")
    try:
        number = int(str(pk))
    except ValueError:
        raise Http404("No such webhook endpoint.") from None
    # Past a bigint, PostgreSQL would refuse the query itself.
    endpoint = (
        WebhookEndpoint.objects.select_related("owner").filter(pk=number).first()
        if 0 < number < 2**63
        else None
    )
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def get_webhook_message_for_user(
    user: User, endpoint: WebhookEndpoint, pk: object
) -> OutboxMessage:
    """One of `endpoint`'s messages (to redeliver, or to read its attempts), else 404."""
    get_webhook_endpoint_for_user(user, endpoint.pk)
    try:
        number = int(str(pk))
    except ValueError:
        raise Http404("No such delivery.") from None
    message = (
        OutboxMessage.objects.filter(
            pk=number, kind=OutboxMessage.Kind.WEBHOOK, webhook_endpoint=endpoint
        ).first()
        if 0 < number < 2**63
        else None
    )
    if message is None:
        raise Http404("No such delivery.")
    return message
