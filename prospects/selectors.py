"""Reads for accounts and what hangs off them. Who may open or change one is
prospects.access; these read only what the user may see (accounts_visible_to).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from prospects.access import accounts_visible_to
from prospects.models import (
    Account,
    AccountEvent,
    Answer,
    Contact,
    Conversation,
    ConversationKind,
    FacilitativeQuestion,
    WhyNote,
)
from salesflow.core.access import reach_of
from salesflow.core.models import User


def visible_owners(user: User) -> QuerySet[User]:
    """The people whose accounts the user can see, for the owner filter."""
    return reach_of(user).people()


@dataclass(frozen=True)
class AccountFilters:
    owner: int | None = None
    segment: int | None = None
    lead_source: int | None = None
    status: str | None = None
    has_problem: str | None = None
    accepts_significance: str | None = None
    ready_to_act: str | None = None
    q: str = ""


_FILTER_LOOKUPS = {
    "owner": "owner_id",
    "segment": "segment_id",
    "lead_source": "lead_source_id",
    "status": "status",
    "has_problem": "has_problem",
    "accepts_significance": "accepts_significance",
    "ready_to_act": "ready_to_act",
}


def account_list(*, user: User, filters: AccountFilters) -> QuerySet[Account]:
    """The accounts the user may see that pass the filters, in the list's order."""
    accounts = accounts_visible_to(user)
    for field, lookup in _FILTER_LOOKUPS.items():
        value = getattr(filters, field)
        if value:
            accounts = accounts.filter(**{lookup: value})
    if filters.q:
        accounts = accounts.filter(name__icontains=filters.q)
    return accounts.order_by("name", "pk")


def accounts_by_id(ids: list[int]) -> list[Account]:
    """These accounts, in this order, with what the account list shows of each."""
    found = Account.objects.select_related("owner", "segment", "lead_source").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def current_why(*, account: Account) -> WhyNote | None:
    return (
        WhyNote.objects.filter(account=account)
        .select_related("said_by", "recorded_by")
        .order_by("-created_at", "-pk")
        .first()
    )


def why_history(*, account: Account, limit: int = 10) -> list[WhyNote]:
    return list(
        WhyNote.objects.filter(account=account)
        .select_related("said_by", "recorded_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def why_panel(*, account: Account) -> dict[str, object]:
    """The why panel's context, on every page that shows it: the current why and the one
    before it, to show what changed."""
    versions = why_history(account=account, limit=2)
    return {
        "why": versions[0] if versions else None,
        "why_previous": versions[1] if len(versions) > 1 else None,
    }


def account_contacts(*, account: Account) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account).order_by("name", "pk")


def account_timeline(*, account: Account) -> QuerySet[AccountEvent]:
    """Newest first, with everything a timeline row shows fetched in the same queries."""
    return (
        AccountEvent.objects.filter(account=account)
        .select_related("actor", "why_note", "why_note__said_by", "conversation")
        .prefetch_related(
            Prefetch("conversation__contacts", queryset=Contact.objects.only("id", "name")),
            Prefetch(
                "conversation__questions_asked",
                queryset=FacilitativeQuestion.objects.only("id", "text"),
            ),
        )
        .order_by("-occurred_at", "-pk")
    )


def account_conversations(*, account: Account) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(account=account)
        .select_related("logged_by")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("id", "name")))
        .order_by("-occurred_at", "-pk")
    )


def latest_conversation_kind(*, account: Account) -> str:
    kind = (
        Conversation.objects.filter(account=account)
        .order_by("-occurred_at", "-pk")
        .values_list("kind", flat=True)
        .first()
    )
    return kind or ConversationKind.INITIAL_OUTREACH


def questions_for_kind(*, kind: str) -> QuerySet[FacilitativeQuestion]:
    return FacilitativeQuestion.objects.filter(kind=kind, active=True).order_by("position", "pk")


def newer_answers(*, account: Account, conversation: Conversation) -> dict[str, bool]:
    """Per reflection question: has a conversation newer than this one already answered it?"""
    newer = Q(occurred_at__gt=conversation.occurred_at) | Q(
        occurred_at=conversation.occurred_at, pk__gt=conversation.pk
    )
    counts = Conversation.objects.filter(newer, account=account).aggregate(
        **{
            field: Count("pk", filter=~Q(**{field: Answer.UNKNOWN}))
            for field in ("has_problem", "accepts_significance", "ready_to_act")
        }
    )
    return {field: bool(count) for field, count in counts.items()}


# CSV column -> the lookup it is read from.
EXPORT_FIELDS = {
    "account_name": "name",
    "website": "website",
    "segment": "segment__name",
    "lead_source": "lead_source__name",
    "owner": "owner__username",
    "status": "status",
    "disqualified_reason": "disqualified_reason",
    "has_problem": "has_problem",
    "accepts_significance": "accepts_significance",
    "ready_to_act": "ready_to_act",
}
EXPORT_COLUMNS = list(EXPORT_FIELDS)


def account_export_rows(*, user: User, filters: AccountFilters) -> Iterator[tuple[object, ...]]:
    """The filtered accounts as plain rows, read in chunks from a server-side cursor."""
    return (
        account_list(user=user, filters=filters)
        .values_list(*EXPORT_FIELDS.values())
        .iterator(chunk_size=2000)
    )


# CSV column -> the lookup it is read from: the headers the import maps by themselves.
CONTACT_EXPORT_FIELDS = {
    "account_name": "account__name",
    "contact_name": "name",
    "contact_title": "title",
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_role": "buying_role",
}
CONTACT_EXPORT_COLUMNS = list(CONTACT_EXPORT_FIELDS)


def contact_export_rows(*, user: User) -> Iterator[tuple[object, ...]]:
    """The contacts the user may see (not erased placeholders), by account, from a
    server-side cursor."""
    return (
        Contact.objects.filter(account__in=accounts_visible_to(user), erased_at__isnull=True)
        .order_by("account__name", "account_id", "name", "pk")
        .values_list(*CONTACT_EXPORT_FIELDS.values())
        .iterator(chunk_size=2000)
    )


def contact_conversations(*, contact: Contact, limit: int = 20) -> list[Conversation]:
    """The conversations the contact took part in, newest first, for their page."""
    return list(
        contact.conversations.select_related("logged_by").order_by("-occurred_at", "-pk")[:limit]
    )


def contact_list(*, user: User) -> QuerySet[Contact]:
    """The contacts of the accounts the user may see (erased ones as their placeholder),
    with the account each belongs to."""
    return Contact.objects.filter(account__in=accounts_visible_to(user)).select_related("account")


def conversation_list(*, user: User) -> QuerySet[Conversation]:
    """The conversations on the accounts the user may see, with who logged each and the ids
    of the contacts and questions it names: three queries whatever the number of rows."""
    return (
        Conversation.objects.filter(account__in=accounts_visible_to(user))
        .select_related("logged_by")
        .prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.only("id")),
            Prefetch("questions_asked", queryset=FacilitativeQuestion.objects.only("id")),
        )
    )
