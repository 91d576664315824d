"""Pipelines and their stages, which sales ops defines. Opportunities arrive next."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from prospects.models import ConversationKind


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
