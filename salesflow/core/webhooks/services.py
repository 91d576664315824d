"""Every write of webhooks: endpoints (create, update, rotate the secret, pause, resume,
delete), redelivering a message and sending a test event. Delivery itself, with its
automatic pausing, is in delivery.py."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from salesflow.core.models import User
from salesflow.core.outbox.models import OutboxMessage
from salesflow.core.webhooks import events as webhook_events
from salesflow.core.webhooks.access import can_manage_webhooks
from salesflow.core.webhooks.models import WebhookEndpoint
from salesflow.core.webhooks.safety import UnsafeDestination, vet

DESCRIPTION_MAX_LENGTH = 200
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """Standard Webhooks' form: "whsec_" and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _require_manager(actor: User) -> None:
    if not can_manage_webhooks(actor):
        raise PermissionDenied("Only sales ops and admins manage webhooks.")


def _clean(url: object, events: object, description: object) -> tuple[str, list[str], str]:
    """The endpoint's fields checked, or a ValidationError keyed by field for the form."""
    errors: dict[str, str] = {}
    clean_url = url.strip() if isinstance(url, str) else ""
    try:
        vet(clean_url)  # also at each delivery: DNS may change
    except UnsafeDestination as refusal:
        errors["url"] = str(refusal)
    chosen: list[str] = []
    if isinstance(events, str) or not isinstance(events, Iterable):
        errors["events"] = "Choose the events to send, as a list."
    else:
        names = list(events)
        unknown = [
            name
            for name in names
            if not isinstance(name, str) or name not in webhook_events.EVENT_NAMES
        ]
        if unknown:
            shown = ", ".join(repr(name)[:50] for name in unknown[:5])
            errors["events"] = f"Unknown events: {shown}. Choose among the listed events."
        elif not names:
            errors["events"] = "Choose at least one event."
        else:
            # In the list's own order, each once, whatever order they came in.
            wanted = set(names)
            chosen = [name for name, _ in webhook_events.EVENTS if name in wanted]
    if description is None:
        description = ""
    if not isinstance(description, str):
        errors["description"] = "The description must be text."
        description = ""
    description = description.strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = f"Keep the description under {DESCRIPTION_MAX_LENGTH} characters."
    elif "\x00" in description:
        errors["description"] = "The description cannot contain null characters."
    if errors:
        raise ValidationError(errors)
    return clean_url, chosen, description


@transaction.atomic
def webhook_endpoint_create(
    *, actor: User, url: str, events: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint owned by `actor`, and its secret (shown to them once)."""
    _require_manager(actor)
    url, events, description = _clean(url, events, description)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        owner=actor, url=url, events=events, description=description, secret=secret
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *, actor: User, endpoint: WebhookEndpoint, url: str, events: list[str], description: str
) -> WebhookEndpoint:
    """Change where and what is sent. Messages already written keep their events and go to
    the new URL (a moved receiver gets what was waiting for it)."""
    _require_manager(actor)
    url, events, description = _clean(url, events, description)
    endpoint.url, endpoint.events, endpoint.description = url, events, description
    endpoint.save(update_fields=["url", "events", "description", "updated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, actor: User, endpoint: WebhookEndpoint) -> str:
    """A new secret, returned once; every delivery from now on, retries included, is signed
    with it (the old one stops working at once)."""
    _require_manager(actor)
    secret = new_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret, updated_at=timezone.now())
    endpoint.secret = secret
    return secret


def _move(endpoint: WebhookEndpoint, to: str, reason: str, *, reset_failures: bool) -> bool:
    """The guarded status change: True when this call made it (of two at once, one does)."""
    sources = [status for status, targets in WebhookEndpoint.TRANSITIONS.items() if to in targets]
    changes: dict[str, object] = {
        "status": to,
        "status_reason": reason[:300],
        "updated_at": timezone.now(),
    }
    if reset_failures:
        changes["consecutive_failures"] = 0
    moved = WebhookEndpoint.objects.filter(pk=endpoint.pk, status__in=sources).update(**changes)
    if moved:
        endpoint.status, endpoint.status_reason = to, reason[:300]
        if reset_failures:
            endpoint.consecutive_failures = 0
    return bool(moved)


@transaction.atomic
def webhook_endpoint_pause(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Hold the endpoint's messages (new events are still written, and wait) until resumed."""
    _require_manager(actor)
    if not _move(
        endpoint,
        WebhookEndpoint.Status.PAUSED,
        f"Paused by {actor.display_name}.",
        reset_failures=False,
    ):
        raise ValidationError("Only an active endpoint can be paused.")
    return endpoint


@transaction.atomic
def webhook_endpoint_resume(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Active again (from paused or disabled): the messages held meanwhile go out now."""
    _require_manager(actor)
    if not _move(endpoint, WebhookEndpoint.Status.ACTIVE, "", reset_failures=True):
        raise ValidationError("This endpoint is already active.")
    from salesflow.core.webhooks import delivery  # delivery imports this module

    transaction.on_commit(delivery.ask_for_a_sender)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its messages and their log: nothing more is sent to it."""
    _require_manager(actor)
    endpoint.delete()


@transaction.atomic
def webhook_redeliver(*, actor: User, message: OutboxMessage) -> OutboxMessage:
    """Send a message again: the same row, the same webhook-id and body (a receiver that
    already has it sees a duplicate it can recognise), pending now with fresh retries."""
    _require_manager(actor)
    if message.kind != OutboxMessage.Kind.WEBHOOK:
        raise ValidationError("Only webhook messages can be redelivered here.")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        leased_until=None,
        lease_token=None,
        last_error="",
        sent_at=None,
    )
    message.refresh_from_db()
    from salesflow.core.webhooks import delivery  # delivery imports this module

    transaction.on_commit(delivery.ask_for_a_sender)
    return message


@transaction.atomic
def webhook_send_test(*, actor: User, endpoint: WebhookEndpoint) -> OutboxMessage:
    """A `ping` event to the endpoint, whatever it subscribes to, to try the receiver."""
    _require_manager(actor)
    now = timezone.now()
    body = webhook_events.encode_payload(
        webhook_events.PING,
        now,
        {"endpoint": endpoint.pk, "message": f"A test event sent by {actor.display_name}."},
    )
    message = webhook_events.message_for(endpoint, webhook_events.PING, body, now)
    message.save()
    from salesflow.core.webhooks import delivery  # delivery imports this module

    transaction.on_commit(delivery.ask_for_a_sender)
    return message
