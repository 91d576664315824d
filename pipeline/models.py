"""Pipelines and stages (sales ops defines them), opportunities and their stage history."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from prospects.models import Answer, Channel, ConversationKind, Currency


class Pipeline(models.Model):
    """An ordered set of stages; one per market segment if sales ops wishes."""

    name = models.CharField(max_length=100, unique=True)
    segment = models.ForeignKey(
        "prospects.Segment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="Leave empty for a pipeline any segment may use.",
    )
    is_default = models.BooleanField(
        default=False, help_text="New deals start in this pipeline unless their segment has one."
    )
    short_letter_below = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(10_000),
        validators=[MinValueValidator(Decimal(0))],
        help_text="Deals worth less than this get the short SOE letter by default.",
    )

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="pipeline_single_default",
                violation_error_message="Only one pipeline can be the default.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Closed: won"
        LOST = "lost", "Closed: lost"

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    # Order on the board; stages keep their identity (and every deal's history) when
    # renamed or reordered, because deals and history point at the stage, not its name.
    position = models.PositiveSmallIntegerField(default=0)
    probability = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(100)],
        help_text="Win probability in %, for the weighted forecast.",
    )
    question_kind = models.CharField(
        max_length=24,
        choices=ConversationKind.choices,
        blank=True,
        help_text="Facilitative questions offered while a deal is in this stage.",
    )
    stuck_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="A deal with no activity for this long is stuck. Empty: never.",
    )
    outcome = models.CharField(max_length=4, choices=Outcome.choices, default=Outcome.OPEN)
    completing_kinds = models.ManyToManyField(
        "StepKind",
        blank=True,
        related_name="completes_stages",
        help_text="SOE steps of these kinds usually complete this stage: when one is done, "
        "salesflow suggests moving the deal on.",
    )

    class Meta:
        ordering = ["pipeline", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "name"], name="stage_name_unique_in_pipeline"
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="stage_probability_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.name}"

    @property
    def is_closed(self) -> bool:
        return self.outcome != self.Outcome.OPEN


class CloseReason(models.Model):
    """Why deals are won, lost or disqualified; sales ops keeps the list."""

    class Kind(models.TextChoices):
        WON = "won", "Won"
        LOST = "lost", "Lost"
        DISQUALIFIED = "disqualified", "Disqualified"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="close_reason_unique_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    def fits(self, outcome: str) -> bool:
        """Won deals take a won reason; lost deals a lost or a disqualified one."""
        if outcome == Stage.Outcome.WON:
            return self.kind == self.Kind.WON
        return outcome == Stage.Outcome.LOST and self.kind != self.Kind.WON


class Opportunity(models.Model):
    """A deal: one account's possible purchase, moving through a pipeline's stages.

    The stage changes only through services.opportunity_move_stage, which writes a
    StageChange row each time; how long a deal has been in its stage is read from there.
    """

    account = models.ForeignKey(
        "prospects.Account", on_delete=models.CASCADE, related_name="opportunities"
    )
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities"
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="opportunities")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    expected_close_date = models.DateField(null=True, blank=True)
    lead_source = models.ForeignKey(
        "prospects.LeadSource", on_delete=models.PROTECT, null=True, blank=True
    )
    next_step = models.CharField(max_length=300, blank=True)

    # Set by the move into a closed stage, cleared when a deal is reopened.
    close_reason = models.ForeignKey(
        CloseReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    # When the daily check found the deal stuck (cleared by any move); drives notifications.
    stuck_since = models.DateTimeField(null=True, blank=True)

    # A product specialist is brought in only once the deal is qualified: the three
    # readiness answers are yes, or a manager vouched for it with a note.
    # Kept from the stage history by pipeline.flow, for the dashboard: the furthest stage
    # reached, and when the deal was qualified with the prospect's answers at that moment.
    furthest_rank = models.IntegerField(null=True, blank=True, editable=False)
    qualified_at = models.DateTimeField(null=True, blank=True, editable=False)
    qualified_has_problem = models.CharField(max_length=8, blank=True, editable=False)
    qualified_accepts_significance = models.CharField(max_length=8, blank=True, editable=False)
    qualified_ready_to_act = models.CharField(max_length=8, blank=True, editable=False)

    specialist_requested_at = models.DateTimeField(null=True, blank=True)
    specialist_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    specialist_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    specialist_override_note = models.TextField(blank=True)
    specialist_override_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["stage", "expected_close_date", "id"]),
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["account", "-created_at"]),
            # The board's column totals, read from the index alone: open deals only (a
            # fifth of them), by owner first because most people see their team's.
            models.Index(
                fields=["owner", "pipeline", "stage", "currency"],
                include=["value"],
                condition=Q(closed_at__isnull=True),
                name="open_deal_totals",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="opportunity_value_not_negative")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class StageChange(models.Model):
    """One move of a deal between stages (from_stage is empty for the deal's first stage)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    reason = models.ForeignKey(
        CloseReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The account's readiness answers at the moment of the move: dashboards ask later
    # whether deals qualified on yes/yes/yes are won more often.
    has_problem = models.CharField(max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    accepts_significance = models.CharField(
        max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    ready_to_act = models.CharField(max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    # When the deal moved on from this stage (kept by pipeline.flow): the end of this stay.
    left_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-pk"]
        get_latest_by = ["at", "pk"]
        indexes = [
            models.Index(fields=["opportunity", "-at", "-id"]),
            models.Index(fields=["to_stage", "at"]),
            models.Index(fields=["left_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.from_stage} → {self.to_stage}"


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

    opportunity = models.OneToOneField(Opportunity, on_delete=models.CASCADE, related_name="soe")
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


class SoeStep(models.Model):
    """One step, in the prospect's words, with who proposed it and where it came from."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

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
    # rules propose (a pipeline.services.Proposal), so the page can tell the rep.
    follow_up_proposal: Any = None

    class Meta:
        ordering = ["sequence", "position", "pk"]
        indexes = [
            models.Index(fields=["sequence", "position"]),
            models.Index(fields=["responsible_user", "status", "target_date"]),
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


# --- Artificial patience: follow-ups held back on purpose ------------------------------


class PatienceRule(models.Model):
    """One reason to wait; sales ops edits them. A follow-up is held by every rule that
    applies to it, and surfaces when the latest of their holds has passed."""

    class Kind(models.TextChoices):
        AFTER_CONVERSATION = "after_conversation", "After a conversation of a kind"
        AFTER_SOE_STEP = "after_soe_step", "Between SOE steps"
        END_OF_QUARTER = "end_of_quarter", "End of quarter"
        DRAGGING_EVALUATION = "dragging_evaluation", "Dragging evaluation"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    conversation_kind = models.CharField(
        max_length=24,
        choices=ConversationKind.choices,
        blank=True,
        help_text="For “after a conversation”: which kind of conversation.",
    )
    days = models.PositiveSmallIntegerField(
        default=1,
        help_text="After a conversation: business mornings to wait (1 = the next). Between "
        "SOE steps: days to let a done step marinate. End of quarter: the last N days of "
        "the quarter. Dragging evaluation: days to hold.",
    )
    extra_days = models.PositiveSmallIntegerField(
        default=0, help_text="End of quarter only: how much longer to hold inside that window."
    )
    why = models.CharField(
        max_length=200, help_text="Said to the rep, e.g. “let the solution call sink in”."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "conversation_kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.why}"

    def clean(self) -> None:
        if self.kind == self.Kind.AFTER_CONVERSATION and not self.conversation_kind:
            raise ValidationError(
                {"conversation_kind": "Say after which kind of conversation to wait."}
            )


class FollowUp(models.Model):
    class Status(models.TextChoices):
        HELD = "held", "Held"
        SURFACED = "surfaced", "Surfaced"
        DONE = "done", "Done"
        DISMISSED = "dismissed", "Dismissed"

    account = models.ForeignKey(
        "prospects.Account", on_delete=models.CASCADE, related_name="followups"
    )
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, null=True, blank=True, related_name="followups"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    draft = models.TextField(blank=True, help_text="The email, or your talking points.")
    purpose = models.CharField(max_length=300, help_text="What will this accomplish?")

    class Review(models.TextChoices):
        NONE = "", "No review"
        PENDING = "pending", "Waiting for the manager"
        APPROVED = "approved", "Approved"
        SENT_BACK = "sent_back", "Sent back"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    # Teams that ask for it: the manager reviews the draft before it may surface.
    review = models.CharField(max_length=10, choices=Review.choices, blank=True, default="")
    review_comment = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Correctness lives here, not in the queue: the sweep and every page read it.
    surface_at = models.DateTimeField()
    holds = models.JSONField(default=list, blank=True)  # [{rule, until, why}] that applied
    end_of_quarter = models.BooleanField(default=False)
    proposed = models.BooleanField(default=False, help_text="Proposed by salesflow's rules.")
    surfaced_at = models.DateTimeField(null=True, blank=True)
    surfaced_early_reason = models.CharField(max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    dismissed_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["surface_at", "pk"]
        indexes = [
            models.Index(fields=["status", "surface_at"]),
            models.Index(fields=["owner", "status", "surface_at"]),
            models.Index(fields=["opportunity", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="followup_has_purpose",
                condition=~Q(purpose=""),
                violation_error_message="Say what this follow-up will accomplish.",
            ),
            models.CheckConstraint(
                name="followup_dismissed_has_reason",
                condition=~Q(status="dismissed") | ~Q(dismissed_reason=""),
                violation_error_message="Say why it is dismissed.",
            ),
        ]

    def __str__(self) -> str:
        return self.purpose


class FollowUpEvent(models.Model):
    """A follow-up's history: held, surfaced (on time or early, and why), done, dismissed."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"
