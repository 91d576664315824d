"""The Sequence of Events: step kinds, templates, each deal's sequence and steps, their
history, and the private calendar feed."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from pipeline.deals.models import Opportunity
from prospects.search.fulltext import document_index
from salesflow.core.audit.tracking import audited

# --- Sequence of Events: the prospect's own steps to evaluate and decide ---------------


class StepKind(models.Model):
    """A kind of SOE step ("security review", "pilot", "board approval"); sales ops keeps
    the list so templates, stage suggestions and slip figures can group steps."""

    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OwnerSide(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    US = "us", "Us"
    BOTH = "both", "Both"


@audited(
    "SoeTemplateAudit",
    fields=[
        "name",
        "segment",
    ],
)
class SoeTemplate(models.Model):
    """A starting point for a segment's SOE: it seeds steps and never constrains them."""

    name = models.CharField(max_length=100, unique=True)
    segment = models.ForeignKey(
        "prospects.Segment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="soe_templates",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "SOE template"

    def __str__(self) -> str:
        return self.name


@audited(
    "SoeTemplateStepAudit",
    fields=[
        "template",
        "position",
        "text",
        "kind",
        "owner_side",
        "days_after_start",
    ],
)
class SoeTemplateStep(models.Model):
    template = models.ForeignKey(SoeTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    kind = models.ForeignKey(StepKind, on_delete=models.SET_NULL, null=True, blank=True)
    owner_side = models.CharField(
        max_length=8, choices=OwnerSide.choices, default=OwnerSide.PROSPECT
    )
    days_after_start = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Suggested target date, in days from the SOE's start."
    )

    class Meta:
        ordering = ["template", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class Sequence(models.Model):
    """An opportunity's Sequence of Events, and how the prospect received it."""

    class Reception(models.TextChoices):
        NOT_SHARED = "not_shared", "Not yet shared"
        KEEN = "keen", "Keen"
        LUKEWARM = "lukewarm", "Lukewarm"
        DECLINED = "declined", "Declined"

    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, related_name="soe", verbose_name="deal"
    )
    template = models.ForeignKey(
        SoeTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reception = models.CharField(
        max_length=12, choices=Reception.choices, default=Reception.NOT_SHARED
    )
    reception_note = models.TextField(blank=True)
    reception_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Sequence of Events"
        verbose_name_plural = "Sequences of Events"

    def __str__(self) -> str:
        return f"SOE of {self.opportunity}"

    @property
    def is_warning(self) -> bool:
        return self.reception in {self.Reception.LUKEWARM, self.Reception.DECLINED}


# What search reads of a step (pipeline.search registers the kind).
STEP_SEARCH_FIELDS = ("text", "notes")


@audited(
    "SoeStepAudit",
    fields=[
        "sequence",
        "text",
        "kind",
        "proposed_by",
        "owner_side",
        "responsible_contact",
        "responsible_user",
        "target_date",
        "notes",
        "status",
        "done_on",
        "skip_reason",
    ],
)
class SoeStep(models.Model):
    """One step, in the prospect's words, with who proposed it and where it came from."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    # Every move a step's status may make (salesflow.core.transitions): done or skipped in
    # any order, and open again to undo either; never straight from done to skipped.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.OPEN: frozenset({Status.DONE, Status.SKIPPED}),
        Status.DONE: frozenset({Status.OPEN}),
        Status.SKIPPED: frozenset({Status.OPEN}),
    }

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=300)
    kind = models.ForeignKey(StepKind, on_delete=models.SET_NULL, null=True, blank=True)
    proposed_by = models.ForeignKey(
        "prospects.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_on = models.DateField(null=True, blank=True)
    source_conversation = models.ForeignKey(
        "prospects.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    owner_side = models.CharField(
        max_length=8, choices=OwnerSide.choices, default=OwnerSide.PROSPECT
    )
    responsible_contact = models.ForeignKey(
        "prospects.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_date = models.DateField(null=True, blank=True)
    # The first date ever promised: "promised vs actual" measures slip from here.
    first_target_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    done_on = models.DateField(null=True, blank=True)
    skip_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Not stored: set by soe_step_done to what the step did to a follow-up the patience
    # rules propose (a pipeline.followups.services.Proposal), so the page can tell the rep.
    follow_up_proposal: Any = None

    class Meta:
        ordering = ["sequence", "position", "pk"]
        indexes = [
            models.Index(fields=["sequence", "position"]),
            models.Index(fields=["responsible_user", "status", "target_date"]),
            document_index(STEP_SEARCH_FIELDS, name="pipeline_soestep_fts"),
        ]
        constraints = [
            models.CheckConstraint(
                name="soe_step_skipped_has_reason",
                condition=~Q(status="skipped") | ~Q(skip_reason=""),
                violation_error_message="Say why the step is skipped.",
            ),
            models.CheckConstraint(
                name="soe_step_done_has_date",
                condition=~Q(status="done") | Q(done_on__isnull=False),
                violation_error_message="A done step needs the day it was done.",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class SoeChange(models.Model):
    """The SOE's history: who changed what and when (and the old date when a date moved).
    Its newest row is also the SOE's last activity for the stuck rule."""

    class Action(models.TextChoices):
        STARTED = "started", "Started"
        ADDED = "added", "Step added"
        EDITED = "edited", "Step edited"
        MOVED = "moved", "Steps reordered"
        DATE_MOVED = "date_moved", "Target date moved"
        DONE = "done", "Step done"
        SKIPPED = "skipped", "Step skipped"
        REOPENED = "reopened", "Step reopened"
        RECEPTION = "reception", "Reception recorded"

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="changes")
    step = models.ForeignKey(
        SoeStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=400, blank=True)
    old_target_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["sequence", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.summary}"


class CalendarFeed(models.Model):
    """A person's private iCalendar feed of their open SOE steps. Whoever holds the token
    in its address reads the feed, so the token is long and random — and salesflow keeps
    only its SHA-256: the address is shown once, when it is made, and neither the admin nor
    a copy of the database can give it back. Revoking deletes the feed for good."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

    @staticmethod
    def hash_token(token: str) -> str:
        """The one way a feed's token is stored and looked up. A plain SHA-256 is enough:
        the token carries 256 random bits, so there is nothing to guess from its hash, and
        finding the row by the hash of what was presented compares no secret byte by byte
        that a stopwatch could read."""
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
