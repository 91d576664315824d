"""A plusses/deltas review: a facilitated retrospective of the sales process.

The phases are an explicit state machine (`Review.Phase`, its moves in `PHASE_TRANSITIONS`);
every phase move is a guarded UPDATE that names the phase the facilitator saw, so a double
click or a second facilitator tab moves it once, and a `PhaseChange` row records it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Review(models.Model):
    class Phase(models.TextChoices):
        SETUP = "setup", "Set up"
        WRITING = "writing", "Write privately"
        PLUSSES = "plusses", "Round the room: plusses"
        DELTAS = "deltas", "Round the room: deltas"
        GROUPING = "grouping", "Group and vote"
        ACTIONS = "actions", "Actions"
        SUMMARY = "summary", "Summary"

    class Scope(models.TextChoices):
        PROCESS = "process", "The whole sales process"
        PIPELINE = "pipeline", "A pipeline"
        QUARTER = "quarter", "A quarter"
        DEAL = "deal", "A won or lost deal"

    title = models.CharField(max_length=200)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.PROCESS)
    pipeline = models.ForeignKey(
        "pipeline.Pipeline", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quarter_start = models.DateField(null=True, blank=True, help_text="First day of the quarter.")
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="deal",
    )
    anonymous = models.BooleanField(
        default=True,
        help_text="Nobody sees who wrote an item; salesflow keeps it only so "
        "authors can edit their own items while writing.",
    )
    votes_each = models.PositiveSmallIntegerField(default=3)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.SETUP)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="review_votes_each_1_to_20", condition=Q(votes_each__gte=1, votes_each__lte=20)
            ),
        ]

    def __str__(self) -> str:
        return self.title


# Every move a review's phase may make (salesflow.core.transitions): one way forward through
# the phases, in the order they are declared, and one step back — reopening writing while
# going round the room, keeping every item — an explicit action of its own. The summary is
# the end.
PHASE_TRANSITIONS: dict[str, frozenset[str]] = {
    Review.Phase.SETUP: frozenset({Review.Phase.WRITING}),
    Review.Phase.WRITING: frozenset({Review.Phase.PLUSSES}),
    Review.Phase.PLUSSES: frozenset({Review.Phase.DELTAS, Review.Phase.WRITING}),
    Review.Phase.DELTAS: frozenset({Review.Phase.GROUPING, Review.Phase.WRITING}),
    Review.Phase.GROUPING: frozenset({Review.Phase.ACTIONS}),
    Review.Phase.ACTIONS: frozenset({Review.Phase.SUMMARY}),
    Review.Phase.SUMMARY: frozenset(),
}
_ORDER = {phase: position for position, phase in enumerate(Review.Phase.values)}
# Read off the table, never kept by hand: each phase's move forward ("move on"), and the
# phases whose move back to writing is "reopen".
NEXT_PHASE: dict[str, str] = {
    phase: to
    for phase, moves in PHASE_TRANSITIONS.items()
    for to in moves
    if _ORDER[to] > _ORDER[phase]
}
REOPENABLE = frozenset(
    phase
    for phase, moves in PHASE_TRANSITIONS.items()
    if Review.Phase.WRITING in moves and _ORDER[phase] > _ORDER[Review.Phase.WRITING]
)


class Participant(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order round the room.")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.review}"


def title_key(title: str) -> str:
    """A group title as compared across reviews: case, punctuation and spacing ignored, so
    "Pricing too late" and "pricing — too late!" are the same recurring group."""
    return " ".join("".join(c if c.isalnum() else " " for c in title.casefold()).split())[:200]


class Group(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="groups")
    title = models.CharField(max_length=200)
    # title_key(title), kept so a group recurring across reviews is found by an index.
    key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        self.key = title_key(self.title)
        if "update_fields" in kwargs and "title" in (kwargs["update_fields"] or ()):
            kwargs["update_fields"] = {*kwargs["update_fields"], "key"}
        super().save(*args, **kwargs)


class Item(models.Model):
    class Kind(models.TextChoices):
        PLUS = "plus", "Plus"
        DELTA = "delta", "Delta"
        FACT = "fact", "From the data"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    text = models.CharField(max_length=500)
    # Kept so authors can edit their own items while writing; never shown when the review is
    # anonymous (see selectors.item_author).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revealed_at = models.DateTimeField(null=True, blank=True)
    reveal_order = models.PositiveIntegerField(null=True, blank=True)
    group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reveal_order", "pk"]
        constraints = [
            models.CheckConstraint(name="item_text_not_blank", condition=~Q(text="")),
        ]

    def __str__(self) -> str:
        # Never the author: anonymity holds wherever an item is printed.
        return f"{self.get_kind_display()}: {self.text[:60]}"


class Vote(models.Model):
    """One of a participant's votes on a delta, or on a group of them."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, blank=True)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="vote_on_one_thing",
                condition=Q(item__isnull=False, group__isnull=True)
                | Q(item__isnull=True, group__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Vote on {self.item or self.group}"


class Action(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    source_item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True)
    source_group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, blank=True)
    # The part of the process the action changes, when it is one.
    stage = models.ForeignKey("pipeline.Stage", on_delete=models.SET_NULL, null=True, blank=True)
    patience_rule = models.ForeignKey(
        "pipeline.PatienceRule", on_delete=models.SET_NULL, null=True, blank=True
    )
    question = models.ForeignKey(
        "prospects.FacilitativeQuestion", on_delete=models.SET_NULL, null=True, blank=True
    )
    soe_template = models.ForeignKey(
        "pipeline.SoeTemplate", on_delete=models.SET_NULL, null=True, blank=True
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.text


class PhaseChange(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="phase_changes")
    from_phase = models.CharField(max_length=10, choices=Review.Phase.choices)
    to_phase = models.CharField(max_length=10, choices=Review.Phase.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.review}: {self.from_phase} → {self.to_phase}"
