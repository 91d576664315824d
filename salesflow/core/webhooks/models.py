"""Webhooks: the endpoints sales ops register, and the log of every delivery attempt. The
messages themselves are outbox rows (salesflow.core.outbox) of kind `webhook`, written in
the transaction of the change they tell of."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class WebhookEndpoint(models.Model):
    """A URL told of the events it subscribes to, signed with its own secret."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        DISABLED = "disabled", "Disabled"

    # Pausing by hand or after failures, resuming, and the receiver saying 410 Gone.
    TRANSITIONS = {
        Status.ACTIVE: {Status.PAUSED, Status.DISABLED},
        Status.PAUSED: {Status.ACTIVE, Status.DISABLED},
        Status.DISABLED: {Status.ACTIVE},
    }

    # The person told when the endpoint is paused after failures or disabled.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=40), default=list)
    # Kept in plain: it is the HMAC key each delivery is signed with, not a password
    # (a hash could not sign). Standard Webhooks' format, "whsec_" + base64.
    secret = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    # Failed attempts in a row, across messages: a success sets it back to 0, and reaching
    # SALESFLOW_WEBHOOKS_PAUSE_AFTER pauses the endpoint.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url


class WebhookAttempt(models.Model):
    """One try at delivering one message: what the receiver answered, or why it could not."""

    message = models.ForeignKey(
        "core.OutboxMessage", on_delete=models.CASCADE, related_name="webhook_attempts"
    )
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # The start of the receiver's answer, enough to see what went wrong, never all of it.
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["message", "-at"])]

    def __str__(self) -> str:
        return f"{self.message_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
