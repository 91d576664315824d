"""Pipelines and stages (sales ops defines them), deals and their stage history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from prospects.models import Answer, ConversationKind, Currency
from salesflow.core.audit.tracking import audited


@audited(
    "PipelineAudit",
    fields=[
        "name",
        "segment",
        "is_default",
        "short_letter_below",
    ],
)
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


@audited(
    "StageAudit",
    fields=[
        "pipeline",
        "name",
        "position",
        "probability",
        "question_kind",
        "stuck_after_days",
        "outcome",
    ],
)
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


@audited(
    "CloseReasonAudit",
    fields=[
        "kind",
        "name",
        "position",
        "active",
    ],
)
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


@audited(
    "OpportunityAudit",
    fields=[
        "account",
        "name",
        "owner",
        "pipeline",
        "stage",
        "value",
        "currency",
        "expected_close_date",
        "lead_source",
        "next_step",
        "close_reason",
        "closed_at",
    ],
)
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
    # Kept from the stage history by pipeline.deals.flow, for the dashboard: the furthest stage
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
        # A deal, in every word a person reads (the admin too); Opportunity is the model's
        # name in code and in the database.
        verbose_name = "deal"
        verbose_name_plural = "deals"
        indexes = [
            models.Index(fields=["stage", "expected_close_date", "id"]),
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["account", "-created_at"]),
            # The API's keyset: pages and syncs (updated_since) walk deals by last change.
            models.Index(fields=["updated_at", "id"], name="deal_changed_order"),
            # The board's column totals, read from the index alone: open deals only (a
            # fifth of them), by owner first because most people see their team's.
            models.Index(
                fields=["owner", "pipeline", "stage", "currency"],
                include=["value"],
                condition=Q(closed_at__isnull=True),
                name="open_deal_totals",
            ),
            # The deals table's usual view (open deals, soonest expected close first), for
            # one owner (a rep's "My open deals") and for everyone in reach.
            models.Index(
                fields=["owner", "expected_close_date", "id"],
                condition=Q(closed_at__isnull=True),
                name="open_deal_owner_close",
            ),
            models.Index(
                fields=["expected_close_date", "id"],
                condition=Q(closed_at__isnull=True),
                name="open_deal_close",
            ),
            # The table's other common sorts over all deals: newest and largest first.
            models.Index(fields=["created_at", "id"], name="deal_created_order"),
            models.Index(fields=["value", "id"], name="deal_value_order"),
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
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes", verbose_name="deal"
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
    # When the deal moved on from this stage (kept by pipeline.deals.flow): the end of this stay.
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
