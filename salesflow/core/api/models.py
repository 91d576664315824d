"""What the API keeps for itself: the answers to creations sent with an Idempotency-Key."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """The first answer to a creation sent with an ``Idempotency-Key`` header, kept so that a
    retry with the same key gets that answer again instead of creating a second record
    (salesflow.core.api.idempotency). Written in the creation's own transaction: a creation
    that failed leaves no row, and its retry really creates."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    # SHA-256 (hex) of the request's body as parsed: the same key sent with another body is
    # a client's mistake, refused rather than answered with the first request's result.
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    # The JSON as it was sent: text, not jsonb, which would reorder the object's keys.
    response_body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A key is the client's, per user: two users may happen to pick the same one.
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_age")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
