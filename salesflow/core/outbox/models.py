"""The outbox: everything salesflow sends, written in the same transaction as the fact that
causes it, and sent afterwards by a worker (salesflow.core.outbox.services)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from salesflow.core.models import Notification


class OutboxMessage(models.Model):
    """One message to send. Rolled back with its cause, so nothing is sent for a fact that
    did not happen; sent at least once after it commits, under a Message-ID fixed here, so a
    rare second delivery (a worker dying between the server's "accepted" and our "sent") is
    the same message to the recipient's mail program, not a new one."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Could not be delivered"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EMAIL)
    # What the message is about, e.g. "follow-up:12:surfaced": one message per fact.
    key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    message_id = models.CharField("Message-ID", max_length=200, unique=True)
    # The in-app notification this email repeats: it says so when the email cannot be sent.
    notification = models.ForeignKey(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    # A webhook's endpoint and event (salesflow.core.webhooks); for a webhook, message_id is
    # the `webhook-id` ("msg_…") and body the JSON signed and posted, both fixed here so a
    # retry or a redelivery is the same message to the receiver.
    webhook_endpoint = models.ForeignKey(
        "core.WebhookEndpoint",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    event = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A sender's claim: until then no other sender takes the row. A sender that dies leaves
    # it to expire, and the message is taken again.
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The senders' one question, "what is due?", reads only the waiting rows of their
            # kind: the webhooks held for a paused endpoint never slow the emails down.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_pending_due",
                condition=Q(status="pending", kind="email"),
            ),
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_webhook_pending_due",
                condition=Q(status="pending", kind="webhook"),
            ),
            # An endpoint's deliveries, newest first (the endpoint's page).
            models.Index(
                fields=["webhook_endpoint", "-created_at"],
                name="outbox_webhook_recent",
                condition=Q(kind="webhook"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}: {self.subject}"
