"""Follow-ups held back on purpose: the patience rules sales ops keeps, each follow-up with
its status and the manager's approval, and its history."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from pipeline.deals.models import Opportunity
from prospects.models import Channel, ConversationKind
from prospects.search.fulltext import document_index
from salesflow.core.audit.tracking import audited

# --- Artificial patience: follow-ups held back on purpose ------------------------------


@audited(
    "PatienceRuleAudit",
    fields=[
        "kind",
        "conversation_kind",
        "days",
        "extra_days",
        "why",
        "active",
    ],
)
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


def _moment(value: str | None) -> datetime | None:
    # Holds keep their end as ISO text in the rep's zone; compared as moments, not as text.
    return datetime.fromisoformat(value) if value else None


# What search reads of a follow-up (pipeline.search registers the kind).
FOLLOWUP_SEARCH_FIELDS = ("purpose",)


@audited(
    "FollowUpAudit",
    fields=[
        "account",
        "opportunity",
        "owner",
        "channel",
        "draft",
        "purpose",
        "status",
        "review",
        "review_comment",
        "reviewed_by",
        "surface_at",
        "not_before",
        "surfaced_early_reason",
        "dismissed_reason",
    ],
)
class FollowUp(models.Model):
    class Status(models.TextChoices):
        HELD = "held", "Held"
        SURFACED = "surfaced", "Surfaced"
        DONE = "done", "Done"
        DISMISSED = "dismissed", "Dismissed"

    # Every move a follow-up's status may make, and no other (salesflow.core.transitions).
    # Held waits for its time (and for the manager's approval where the team asks for it);
    # it surfaces — on time by the sweep, or early on purpose — or is done once due, or
    # dismissed. Done and dismissed are final. The services add when a move may happen
    # (due, approved): pipeline.followups.selectors.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.HELD: frozenset({Status.SURFACED, Status.DONE, Status.DISMISSED}),
        Status.SURFACED: frozenset({Status.DONE, Status.DISMISSED}),
        Status.DONE: frozenset(),
        Status.DISMISSED: frozenset(),
    }

    account = models.ForeignKey(
        "prospects.Account", on_delete=models.CASCADE, related_name="followups"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name="deal",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    draft = models.TextField(blank=True, help_text="The email, or your talking points.")
    purpose = models.CharField(max_length=300, help_text="What will this accomplish?")

    class Approval(models.TextChoices):
        NONE = "", "No review"
        PENDING = "pending", "Waiting for the manager"
        APPROVED = "approved", "Approved"
        SENT_BACK = "sent_back", "Sent back"

    # The manager's approval of the draft, a machine of its own: a pending draft is approved
    # or sent back; reworking an approved or sent-back draft asks for approval again. A team
    # that does not ask for approval leaves it at NONE, which never moves.
    APPROVAL_TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Approval.NONE: frozenset(),
        Approval.PENDING: frozenset({Approval.APPROVED, Approval.SENT_BACK}),
        Approval.APPROVED: frozenset({Approval.PENDING}),
        Approval.SENT_BACK: frozenset({Approval.PENDING}),
    }

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    # Teams that ask for it: the manager approves the draft before it may surface. The
    # columns keep the names they were created with (review, review_comment, reviewed_by).
    review = models.CharField(max_length=10, choices=Approval.choices, blank=True, default="")
    review_comment = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Correctness lives here, not in the queue: the sweep and every page read it.
    surface_at = models.DateTimeField()
    # The rep's own "not before" day: one more hold, from that day's business morning.
    not_before = models.DateField(null=True, blank=True)
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
            document_index(FOLLOWUP_SEARCH_FIELDS, name="pipeline_followup_fts"),
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

    def hold_reasons(self) -> list[dict[str, object]]:
        """Its holds as the pages list them, the one that decides when it surfaces (the
        latest; a tie marks each) flagged `decides`."""
        latest = max((hold["until"] for hold in self.holds), default=None, key=_moment)
        return [
            {**hold, "decides": _moment(hold["until"]) == _moment(latest)} for hold in self.holds
        ]


class FollowUpEvent(models.Model):
    """A follow-up's history: held, surfaced (on time or early, and why), done, dismissed."""

    class Action(models.TextChoices):
        # The values are the words the history shows (capitalised), as stored since 0006.
        HELD = "held", "Held"
        HOLD_ADDED = "hold added", "Hold added"
        SURFACED = "surfaced", "Surfaced"
        SURFACED_EARLY = "surfaced early", "Surfaced early"
        DONE = "done", "Done"
        DISMISSED = "dismissed", "Dismissed"
        APPROVED = "approved", "Approved"
        SENT_BACK = "sent back", "Sent back"
        REWORKED = "reworked", "Reworked"

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        # The API's updated_since reads a follow-up's changes from its history: the events
        # since a sync's last run, found without reading every event there has been.
        indexes = [models.Index(fields=["at"], name="followup_event_at")]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"
