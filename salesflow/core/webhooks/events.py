"""The events salesflow tells webhooks of, and how each is written to the outbox.

The apps call `webhook_event` (or `webhook_events_bulk`) from their services, inside the
transaction of the change: the outbox row commits or rolls back with the change itself, so
no event is lost when the broker is down and none is sent for a change that did not happen.

What `data` holds is the object's API representation. Core cannot import the apps (they
build on it), so each app registers its serializers from its AppConfig.ready() with
`register_representation`; a model nobody registered is sent as {"id": pk}."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from salesflow.core.models import User
from salesflow.core.outbox.models import OutboxMessage
from salesflow.core.webhooks.models import WebhookEndpoint

EVENTS: list[tuple[str, str]] = [
    ("account.created", "Account created"),
    ("account.updated", "Account updated"),
    ("contact.created", "Contact created"),
    ("contact.updated", "Contact updated"),
    ("deal.created", "Deal created"),
    ("deal.updated", "Deal updated"),
    ("deal.stage_moved", "Deal moved to another stage"),
    ("deal.won", "Deal won"),
    ("deal.lost", "Deal lost"),
    ("soe_step.done", "SOE step done"),
    ("soe_step.skipped", "SOE step skipped"),
    ("follow_up.surfaced", "Follow-up surfaced"),
    ("follow_up.done", "Follow-up done"),
    ("review.finished", "Review finished"),
]
EVENT_NAMES = frozenset(name for name, _ in EVENTS)
# Sent only by "Send a test event"; nobody subscribes to it.
PING = "ping"


@dataclass(frozen=True)
class Representation:
    serializer_class: type
    # The queryset to load many instances from at once (select_related/prefetch_related for
    # what the serializer reads), so a bulk event costs the same few queries for any count.
    queryset: Callable[[], models.QuerySet] | None = None


_REPRESENTATIONS: dict[type[models.Model], Representation] = {}


def register_representation(
    model_class: type[models.Model],
    serializer_class: type,
    *,
    queryset: Callable[[], models.QuerySet] | None = None,
) -> None:
    """Send `model_class`'s instances as `serializer_class` (a DRF serializer) renders them."""
    _REPRESENTATIONS[model_class] = Representation(serializer_class, queryset)


def representation(instance: models.Model) -> dict[str, Any]:
    """What the API shows of `instance`. Read again through the registered queryset when
    there is one, so a payload carries what the API's lists carry (annotations included),
    as it stands in the caller's transaction."""
    registered = _REPRESENTATIONS.get(type(instance))
    if registered is None:
        return {"id": instance.pk}
    if registered.queryset is not None:
        instance = registered.queryset().filter(pk=instance.pk).first() or instance
    return dict(registered.serializer_class(instance, context={}).data)


def _representations(model_class: type[models.Model], pks: list[Any]) -> dict[Any, dict]:
    registered = _REPRESENTATIONS.get(model_class)
    if registered is None:
        return {pk: {"id": pk} for pk in pks}
    queryset = registered.queryset() if registered.queryset else model_class._default_manager
    instances = list(queryset.filter(pk__in=pks))
    rendered = registered.serializer_class(instances, many=True, context={}).data
    return {instance.pk: dict(data) for instance, data in zip(instances, rendered, strict=True)}


def new_message_id() -> str:
    """A `webhook-id`: fixed when the event is written, the same on every retry."""
    return f"msg_{uuid.uuid4().hex}"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def encode_payload(event: str, moment: datetime, data: dict[str, Any]) -> str:
    """The body posted and signed, written once: every retry sends these same bytes."""
    payload = {"type": event, "timestamp": _timestamp(moment), "data": data}
    return json.dumps(payload, cls=JSONEncoder, separators=(",", ":"), ensure_ascii=False)


def message_for(endpoint: WebhookEndpoint, event: str, body: str, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        kind=OutboxMessage.Kind.WEBHOOK,
        webhook_endpoint=endpoint,
        event=event,
        recipient=endpoint.url[:254],
        subject=event,
        body=body,
        message_id=new_message_id(),
        next_attempt_at=now,
    )


def _subscribed(event: str) -> list[WebhookEndpoint]:
    """The one query every event costs: most installs have no endpoint at all. Paused
    endpoints get their messages too (held until resumed); disabled ones do not."""
    if event not in EVENT_NAMES:
        raise ValueError(f"Unknown webhook event {event!r}")
    return list(
        WebhookEndpoint.objects.filter(
            status__in=[WebhookEndpoint.Status.ACTIVE, WebhookEndpoint.Status.PAUSED],
            events__contains=[event],
        ).only("pk", "url")
    )


def _write(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    if not rows:
        return []
    created = OutboxMessage.objects.bulk_create(rows, batch_size=1000)
    from salesflow.core.webhooks import delivery  # delivery imports this module

    transaction.on_commit(delivery.ask_for_a_sender)
    return created


def webhook_event(
    event: str, instance: models.Model, *, actor: User | None = None
) -> list[OutboxMessage]:
    """Tell every subscribed endpoint that `event` happened to `instance`, in the caller's
    transaction. `actor` is who did it (not sent today; kept so callers say it once)."""
    endpoints = _subscribed(event)
    if not endpoints:
        return []
    now = timezone.now()
    body = encode_payload(event, now, representation(instance))
    return _write([message_for(endpoint, event, body, now) for endpoint in endpoints])


def webhook_events_bulk(
    event: str, model_class: type[models.Model], pks: Iterable[Any]
) -> list[OutboxMessage]:
    """`webhook_event` for many instances of one model at once (the follow-up sweep): one
    query for the endpoints, and with any, one load of the instances, whatever their count."""
    endpoints = _subscribed(event)
    pks = list(pks)
    if not endpoints or not pks:
        return []
    now = timezone.now()
    rendered = _representations(model_class, pks)
    rows = []
    for pk in pks:
        if pk not in rendered:  # gone since (deleted in this transaction): nothing to tell
            continue
        body = encode_payload(event, now, rendered[pk])
        rows.extend(message_for(endpoint, event, body, now) for endpoint in endpoints)
    return _write(rows)
