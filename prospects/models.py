"""Accounts (prospect organisations), their people, conversations and the buyer's own "why"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from prospects.normalise import normalised_name_sql, website_domain_sql
from prospects.search.fulltext import SEARCH_FIELDS, document_index, trigram_index
from salesflow.core.audit.tracking import audited


class Answer(models.TextChoices):
    """A reflection question's answer, as the rep heard it."""

    UNKNOWN = "unknown", "Unknown"
    YES = "yes", "Yes"
    NO = "no", "No"


class ConversationKind(models.TextChoices):
    INITIAL_OUTREACH = "initial_outreach", "Initial outreach"
    QUALIFYING = "qualifying", "Qualifying"
    SOLUTION_DEVELOPMENT = "solution_development", "Solution development"
    EVALUATION_CHECK_IN = "evaluation_check_in", "Evaluation check-in"
    DECISION = "decision", "Decision"
    OTHER = "other", "Other"


class Channel(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    VIDEO = "video", "Video"
    EVENT = "event", "Event"


# The three reflection questions: (field on Conversation and Account, question as asked).
READINESS_QUESTIONS: list[tuple[str, str]] = [
    ("has_problem", "Has a problem"),
    ("accepts_significance", "Accepts it is significant"),
    ("ready_to_act", "Is ready to act"),
]


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    GBP = "GBP", "GBP"
    USD = "USD", "USD"
    CHF = "CHF", "CHF"
    SEK = "SEK", "SEK"
    DKK = "DKK", "DKK"
    NOK = "NOK", "NOK"
    PLN = "PLN", "PLN"
    CAD = "CAD", "CAD"
    AUD = "AUD", "AUD"


@audited(
    "SegmentAudit",
    fields=[
        "name",
        "description",
    ],
)
class Segment(models.Model):
    """A kind of buyer (hospital, school, manufacturer…); sales ops keeps the list."""

    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@audited(
    "LeadSourceAudit",
    fields=[
        "name",
        "cost_basis",
        "cost",
        "currency",
        "active",
    ],
)
class LeadSource(models.Model):
    """Where accounts come from, with what they cost, for return-on-spend later."""

    class CostBasis(models.TextChoices):
        PER_LEAD = "per_lead", "Per lead"
        PER_MONTH = "per_month", "Per month"

    name = models.CharField(max_length=80, unique=True)
    cost_basis = models.CharField(
        max_length=12, choices=CostBasis.choices, default=CostBasis.PER_LEAD
    )
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # The dashboard's return compares the cost with deals won in the same currency.
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@audited(
    "AccountAudit",
    fields=[
        "name",
        "website",
        "segment",
        "lead_source",
        "owner",
        "status",
        "disqualified_reason",
        "has_problem",
        "accepts_significance",
        "ready_to_act",
    ],
)
class Account(models.Model):
    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        CUSTOMER = "customer", "Customer"
        DISQUALIFIED = "disqualified", "Disqualified"

    name = models.CharField(max_length=200)
    website = models.URLField(max_length=300, blank=True)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, null=True, blank=True)
    lead_source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_accounts"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROSPECT)
    disqualified_reason = models.TextField(blank=True)

    # The latest answer to each reflection question and when it last changed: the readiness
    # signal. Kept by conversation_log so lists can filter on it without scanning history.
    has_problem = models.CharField(max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    has_problem_changed_at = models.DateTimeField(null=True, blank=True)
    accepts_significance = models.CharField(
        max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    accepts_significance_changed_at = models.DateTimeField(null=True, blank=True)
    ready_to_act = models.CharField(max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    ready_to_act_changed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["status", "name"]),
            # The account list's order: a page is read off the index, not sorted from all.
            models.Index(fields=["name", "id"], name="account_list_order"),
            # The API's keyset: pages and syncs (updated_since) walk accounts by last change.
            models.Index(fields=["updated_at", "id"], name="account_changed_order"),
            # Duplicate warnings compare on these very expressions (prospects.duplicates).
            models.Index(normalised_name_sql(), name="account_normalised_name"),
            models.Index(website_domain_sql(), name="account_website_domain"),
            # Search: the words of the name, and the name's trigrams for a misspelt one.
            document_index(SEARCH_FIELDS["account"], name="prospects_account_fts"),
            trigram_index("name", name="account_name_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                name="account_disqualified_has_reason",
                condition=~Q(status="disqualified") | ~Q(disqualified_reason=""),
                violation_error_message="Say why the account is disqualified.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def readiness(self) -> list[tuple[str, str, str, object]]:
        """(field, question, answer label, changed at) for each reflection question."""
        return [
            (
                field,
                question,
                getattr(self, f"get_{field}_display")(),
                getattr(self, f"{field}_changed_at"),
            )
            for field, question in READINESS_QUESTIONS
        ]


@audited(
    "ContactAudit",
    fields=[
        "account",
        "name",
        "title",
        "email",
        "phone",
        "buying_role",
    ],
)
class Contact(models.Model):
    class BuyingRole(models.TextChoices):
        CHAMPION = "champion", "Champion"
        DECISION_MAKER = "decision_maker", "Decision maker"
        INFLUENCER = "influencer", "Influencer"
        USER = "user", "User"
        BLOCKER = "blocker", "Blocker"
        UNKNOWN = "unknown", "Unknown"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    buying_role = models.CharField(
        max_length=16, choices=BuyingRole.choices, default=BuyingRole.UNKNOWN
    )
    # Set when the person's data was erased (prospects.privacy): the row stays as an
    # anonymous placeholder so conversations, why notes and SOE steps keep their link.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the contact last changed (an edit, a merge moving it, an erasure): what an
    # integration's sync asks for with the API's updated_since.
    updated_at = models.DateTimeField(auto_now=True)
    # The latest conversation they took part in. Kept by PostgreSQL triggers on the
    # conversations' contact links (migration 0015_contact_last_conversation), so every
    # path that links, unlinks or re-times a conversation (logging, a merge, a deletion, a
    # bulk load) keeps it true; the contact list sorts and filters on it through an index,
    # where a subquery per contact took seconds at a few hundred thousand contacts.
    last_conversation_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            # The contact list's keyset pages: by name, and by latest conversation (never
            # talked to last when the newest come first).
            models.Index(fields=["name", "id"], name="contact_list_order"),
            models.Index(
                F("last_conversation_at").desc(nulls_last=True),
                F("id").desc(),
                name="contact_last_talk_order",
            ),
            # The API's keyset for a sync: changed since, oldest change first.
            models.Index(fields=["updated_at", "id"], name="contact_changed_order"),
            # A new contact's duplicate warning looks its email up, case aside.
            models.Index(Lower("email"), name="contact_email_lower"),
            # Search: name, email and title's words, and the name's trigrams.
            document_index(SEARCH_FIELDS["contact"], name="prospects_contact_fts"),
            trigram_index("name", name="contact_name_trgm"),
        ]

    def __str__(self) -> str:
        return self.name


@audited(
    "FacilitativeQuestionAudit",
    fields=[
        "kind",
        "text",
        "position",
        "active",
    ],
)
class FacilitativeQuestion(models.Model):
    """A prompt offered while logging a conversation of its kind; never a script."""

    kind = models.CharField(max_length=24, choices=ConversationKind.choices)
    text = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "position", "pk"]

    def __str__(self) -> str:
        return self.text


# How far ahead of the server's clock a conversation's time may be: a phone or laptop
# whose clock runs a little fast must not be told that "now" is in the future.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)


def validate_not_in_the_future(value: datetime) -> None:
    """A conversation is logged once it has happened. On the model field, so the form, the
    service (full_clean) and the admin all apply the same rule."""
    if value > timezone.now() + CLOCK_SKEW_ALLOWANCE:
        raise ValidationError(
            "A conversation cannot be logged before it happens.", code="in_the_future"
        )


class Conversation(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="conversations")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(validators=[validate_not_in_the_future])
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=24, choices=ConversationKind.choices)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="conversations")
    notes = models.TextField(blank=True)
    emotion_found = models.TextField(blank=True)
    has_problem = models.CharField(max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    accepts_significance = models.CharField(
        max_length=8, choices=Answer.choices, default=Answer.UNKNOWN
    )
    ready_to_act = models.CharField(max_length=8, choices=Answer.choices, default=Answer.UNKNOWN)
    questions_asked = models.ManyToManyField(FacilitativeQuestion, blank=True, related_name="+")
    # The logging form's one-time token: a form sent twice (a double click, a retry after a
    # lost response) is saved once. Empty for conversations logged by other doors.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Not stored: set by conversation_log to what the apps that listen to it made of the
    # conversation, a sentence each (prospects.signals.conversation_logged), so the page
    # can tell the rep. Empty on a conversation read back or a submission saved before.
    outcome_messages: Sequence[str] = ()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "-occurred_at"]),
            # The API's keyset: pages and syncs (created_since) walk conversations in the
            # order they were logged (a conversation is not changed once logged).
            models.Index(fields=["created_at", "id"], name="conversation_logged_order"),
            # Search lists matching notes newest first: for a common word it walks this
            # index back and stops at a page, rather than sorting every match.
            models.Index(fields=["occurred_at", "id"], name="conversation_occurred_order"),
            document_index(SEARCH_FIELDS["conversation"], name="prospects_conversation_fts"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.account} on {self.occurred_at:%Y-%m-%d}"


@audited(
    "WhyNoteAudit",
    fields=[
        "account",
        "text",
        "said_by",
        "said_on",
        "recorded_by",
    ],
)
class WhyNote(models.Model):
    """The prospect's own purpose, in their words. Never edited: a change is a new version."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="why_notes")
    text = models.TextField()
    said_by = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    said_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            document_index(SEARCH_FIELDS["whynote"], name="prospects_whynote_fts"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class AccountEvent(models.Model):
    """One line of an account's timeline, written by the service that made the change.

    One table for every kind of event keeps the timeline a single indexed, paginated query
    however many conversations, why changes and status changes an account gathers.
    """

    class Kind(models.TextChoices):
        CREATED = "created", "Account created"
        CONVERSATION = "conversation", "Conversation"
        WHY = "why", "Why changed"
        STATUS = "status", "Status changed"
        MERGED = "merged", "Merged"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    why_note = models.ForeignKey(
        WhyNote, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["account", "-occurred_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.account}"


class ImportMode(models.TextChoices):
    BOTH = "both", "Create new rows and update existing ones"
    CREATE = "create", "Only create new rows (existing ones are left as they are)"
    UPDATE = "update", "Only update existing rows (a row that matches nothing is an error)"


class AccountImport(models.Model):
    """An import job: a CSV of one kind (accounts and contacts, or deals: the kinds are
    registered in prospects.importing.kinds), the column mapping its uploader chose and
    whether it may create rows, update them or both. Large files are checked and imported by
    a worker.

    The file's text is kept in the row itself, from the upload to the mapping screen and on
    to the worker: the web and worker processes may run on different machines that share the
    database but no disk.
    """

    class Status(models.TextChoices):
        MAPPING = "mapping", "Waiting for its columns to be mapped"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Checking and importing"
        INVALID = "invalid", "Not imported: errors found"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    content = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    accounts_created = models.PositiveIntegerField(default=0)
    contacts_created = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # What the file holds (a key of prospects.importing.kinds.KINDS; a string, not a
    # choice, since pipeline registers its kind at start-up), which field each column fills
    # ({header: field}, "" for a column left out), and what the import may do.
    kind = models.CharField(max_length=20, default="accounts")
    mapping = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=8, choices=ImportMode.choices, default=ImportMode.BOTH)
    # {thing: {"created": n, "updated": n, "unchanged": n}} once done, for the report.
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class ImportMapping(models.Model):
    """A column mapping a user saved to reuse: offered again, and chosen by itself, when a
    later file of the same kind has the same headers."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_mappings"
    )
    kind = models.CharField(max_length=20)
    name = models.CharField(max_length=80)
    # The file's headers as read (lowercased, trimmed), in order; and {header: field}.
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    mode = models.CharField(max_length=8, choices=ImportMode.choices, default=ImportMode.BOTH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "name"],
                name="import_mapping_unique_name",
                violation_error_message="You already have a mapping with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


# The record of erasures lives in its own package; importing it here registers it with the app.
from prospects.privacy.models import Erasure  # noqa: E402, F401
