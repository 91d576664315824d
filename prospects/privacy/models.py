"""The record of each erasure: who erased which contact and when, and how much was scrubbed
of each kind. It keeps no name, email or phone: the record of an erasure must not become
the one place the erased person is still named."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Erasure(models.Model):
    # The contact row stays (as an anonymous placeholder), so the link normally holds; the
    # bare id is kept as well for when the account, and its contacts with it, is deleted.
    contact = models.ForeignKey(
        "prospects.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="erasures",
    )
    contact_pk = models.PositiveBigIntegerField("contact id", db_index=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    erased_at = models.DateTimeField()
    # {kind: rows scrubbed}, e.g. {"conversations": 3, "soe_steps": 1}: kinds and numbers only.
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-erased_at", "-pk"]

    def __str__(self) -> str:
        return f"Contact {self.contact_pk} erased on {self.erased_at:%Y-%m-%d}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())
