"""A bulk edit of deals: the job (who asked what, for which deals) and one result row per deal.

Each deal's result is written in the same transaction as the deal's own change, so the
result rows are the job's memory: a run that starts again after a worker died skips the deals
that already have one, and each deal is changed exactly once.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class BulkEdit(models.Model):
    class Action(models.TextChoices):
        OWNER = "owner", "Change owner"
        MOVE = "move", "Move to a stage"
        CLOSE_DATE = "close_date", "Set expected close"
        CLOSE_LOST = "close_lost", "Close as lost"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    # Running → running: a run whose lease ran out (its worker died) is taken over.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.QUEUED: frozenset({Status.RUNNING}),
        Status.RUNNING: frozenset({Status.RUNNING, Status.DONE}),
        Status.DONE: frozenset(),
    }

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bulk_edits"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    # The action's checked parameters, as ids and ISO dates (see forms.ACTION_FORMS).
    params = models.JSONField(default=dict)
    # Deal ids in the order they were picked; not foreign keys: an id the actor cannot see
    # (or of no deal at all) is kept to be answered "not found", and a deal deleted later
    # must not take the job's record with it.
    deal_ids = ArrayField(models.BigIntegerField())
    total = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # Kept beside the rows, in the rows' transactions: the progress page reads one row.
    changed_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    # The run that holds the job: its token, and until when it holds it unless it renews it
    # (each deal renews it). A worker that dies stops renewing; another run takes over.
    lease_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The resume sweep's question: which unfinished jobs lost their run?
            models.Index(
                fields=["status", "lease_until"],
                name="bulkedit_unfinished",
                condition=~models.Q(status="done"),
            )
        ]

    def __str__(self) -> str:
        return f"Bulk edit #{self.pk}: {self.get_action_display()}, {self.total} deals"

    @property
    def processed(self) -> int:
        return self.changed_count + self.unchanged_count + self.refused_count

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.DONE


class BulkEditRow(models.Model):
    """What happened to one deal of a bulk edit."""

    class Outcome(models.TextChoices):
        CHANGED = "changed", "Changed"
        UNCHANGED = "unchanged", "Already so"
        REFUSED = "refused", "Refused"

    # No index of its own: both of the indexes below start with the job.
    job = models.ForeignKey(BulkEdit, on_delete=models.CASCADE, related_name="rows", db_index=False)
    deal_id = models.BigIntegerField()
    outcome = models.CharField(max_length=9, choices=Outcome.choices)
    # The deal as the actor knew it then ("Account — deal"); empty for a deal not found.
    label = models.CharField(max_length=400, blank=True)
    message = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            # Belt and braces for "exactly once": the run's lease already keeps a second
            # run out, and this refuses a second result for a deal whatever happens.
            models.UniqueConstraint(fields=["job", "deal_id"], name="bulkedit_row_once")
        ]
        # The summary lists one outcome at a time, in order, a page at a time.
        indexes = [models.Index(fields=["job", "outcome", "id"], name="bulkedit_row_by_outcome")]

    def __str__(self) -> str:
        return f"{self.label or self.deal_id}: {self.get_outcome_display()}"
