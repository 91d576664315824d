"""Reads for a merge: the accounts to merge into one, what would move, and which contacts
look like the same person."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Subquery
from django.db.models.functions import Coalesce

from prospects.access import accounts_editable_by
from prospects.models import Account, Contact, Conversation, WhyNote
from prospects.search.fulltext import matching, terms
from prospects.selectors import account_contacts
from salesflow.core.models import User


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
    # Erased contacts' placeholders all read "Erased contact": they are nobody, so never
    # the same person as another (they move over as they are).
    ours = [c for c in account_contacts(account=survivor) if c.erased_at is None]
    theirs = [c for c in account_contacts(account=duplicate) if c.erased_at is None]
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
