"""Reads for accounts and what hangs off them. Who may open or change one is
prospects.access; these read only what the user may see (accounts_visible_to).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from prospects.importing import progress_key
from prospects.models import (
    Account,
    AccountEvent,
    AccountImport,
    Answer,
    Contact,
    Conversation,
    ConversationKind,
    FacilitativeQuestion,
    WhyNote,
)
from prospects.search import SearchResults, matching, terms
from salesflow.core.models import User
from salesflow.core.selectors import owned_editable_by, owned_visible_to


def accounts_visible_to(user: User) -> QuerySet[Account]:
    return owned_visible_to(Account.objects.all(), user)


def accounts_editable_by(user: User) -> QuerySet[Account]:
    return owned_editable_by(Account.objects.all(), user)


def visible_owners(user: User) -> QuerySet[User]:
    """The people whose accounts the user can see, for the owner filter."""
    if user.sees_everything:
        return User.objects.filter(is_active=True)
    if user.team_id is None:
        return User.objects.filter(pk=user.pk)
    return User.objects.filter(team_id=user.team_id, is_active=True)


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


SEARCH_LIMIT = 20


def search(*, user: User, text: str) -> SearchResults:
    """Accounts, contacts and conversations the user may see that match every word typed."""
    words = terms(text)
    results = SearchResults(query=text)
    if not words:
        return results
    visible = accounts_visible_to(user)
    results.accounts = list(
        matching(visible.select_related("owner", "segment"), "account", words).order_by(
            "name", "pk"
        )[:SEARCH_LIMIT]
    )
    results.contacts = list(
        matching(
            Contact.objects.filter(account__in=visible).select_related("account"), "contact", words
        ).order_by("name", "pk")[:SEARCH_LIMIT]
    )
    results.conversations = list(
        matching(
            Conversation.objects.filter(account__in=visible).select_related("account", "logged_by"),
            "conversation",
            words,
        ).order_by("-occurred_at", "-pk")[:SEARCH_LIMIT]
    )
    return results


def quick_log_accounts(*, user: User, text: str, limit: int = 10) -> list[Account]:
    """Accounts the user may log a conversation on: matching the text, or their own recent ones."""
    editable = accounts_editable_by(user)
    words = terms(text)
    if words:
        editable = matching(editable, "account", words).order_by("name", "pk")
    else:
        editable = editable.order_by("-updated_at", "-pk")
    return list(editable.select_related("segment")[:limit])


# CSV column -> the lookup it is read from.
EXPORT_FIELDS = {
    "account_name": "name",
    "website": "website",
    "segment": "segment__name",
    "lead_source": "lead_source__name",
    "owner": "owner__username",
    "status": "status",
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


def import_progress(*, job: AccountImport) -> int:
    """Rows processed so far, for the progress bar."""
    if job.status in {AccountImport.Status.DONE, AccountImport.Status.INVALID}:
        return job.total_rows
    return min(int(cache.get(progress_key(job.pk)) or 0), job.total_rows)


def merge_candidates(*, user: User, account: Account, text: str, limit: int = 20) -> list[Account]:
    """Accounts the user may merge into this one: by the words typed, else by its name's words."""
    words = terms(text) or terms(account.name)[:1]
    editable = accounts_editable_by(user).exclude(pk=account.pk)
    if not words:
        return []
    found = matching(editable.select_related("owner", "segment"), "account", words)
    return list(found.order_by("name", "pk")[:limit])


def merge_moving_counts(*, account: Account) -> dict[str, int]:
    """How many contacts, conversations, why notes and deals would move."""
    # One subquery count each: counting over joins of four tables would multiply rows.
    counts = {
        "contacts": Contact.objects.filter(account=account),
        "conversations": Conversation.objects.filter(account=account),
        "why_notes": WhyNote.objects.filter(account=account),
        "opportunities": account.opportunities.all(),
    }
    row = (
        Account.objects.filter(pk=account.pk)
        .annotate(
            **{
                f"moving_{name}": Coalesce(
                    Subquery(
                        rows.order_by().values("account").annotate(n=Count("pk")).values("n")[:1]
                    ),
                    0,
                )
                for name, rows in counts.items()
            }
        )
        .values(*(f"moving_{name}" for name in counts))
        .get()
    )
    return {name: row[f"moving_{name}"] for name in counts}


@dataclass(frozen=True)
class ContactPair:
    """A contact of the account kept (`keep`) and one of its duplicate (`drop`) that look like
    the same person, and why salesflow thinks so."""

    keep: Contact
    drop: Contact
    reason: str  # "email" or "name"


def _same_name(contact: Contact) -> str:
    return " ".join(contact.name.split()).casefold()


def merge_contact_pairs(*, survivor: Account, duplicate: Account) -> list[ContactPair]:
    """The duplicate's contacts that look like one of the survivor's: the same email (any
    case), else the same name (any case or spacing). Each contact is in one pair at most,
    email matches first; the merge page offers each pair, and services.account_merge
    accepts only these."""
    ours = list(account_contacts(account=survivor))
    theirs = list(account_contacts(account=duplicate))
    taken: set[int] = set()
    pairs: dict[int, ContactPair] = {}
    for reason, key in (("email", lambda c: c.email.strip().casefold()), ("name", _same_name)):
        index: dict[str, Contact] = {}
        for contact in ours:
            if contact.pk not in taken and key(contact):
                index.setdefault(key(contact), contact)
        for contact in theirs:
            match = index.get(key(contact)) if key(contact) else None
            if contact.pk in pairs or match is None or match.pk in taken:
                continue
            pairs[contact.pk] = ContactPair(keep=match, drop=contact, reason=reason)
            taken.add(match.pk)
    return [pairs[contact.pk] for contact in theirs if contact.pk in pairs]


# --- Moved to prospects.access -------------------------------------------------------
# pipeline (being split into its packages on another branch) still calls these three as
# prospect_selectors.<name>; until its call sites name prospects.access, they answer from
# there. Nothing in prospects or salesflow.core uses them here: delete this block once
# nothing in pipeline does either.
_MOVED_TO_ACCESS = frozenset({"can_edit_account", "get_account_for_user", "assignable_owners"})


def __getattr__(name: str) -> object:
    # Looked up on use, not imported at the top: prospects.access imports this module.
    if name in _MOVED_TO_ACCESS:
        from prospects import access

        return getattr(access, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
