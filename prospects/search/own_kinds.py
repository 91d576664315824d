"""What search finds of prospects' own: accounts, contacts, why notes and conversation notes
(ProspectsConfig.ready() registers them; pipeline adds its kinds in its own ready())."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import dateformat, timezone

from prospects.access import accounts_visible_to
from prospects.models import Account, Contact, Conversation, WhyNote
from prospects.search.fulltext import SEARCH_FIELDS
from prospects.search.kinds import KINDS, Kind, Shown
from salesflow.core.models import User


def _account_url(account_id: int) -> str:
    return reverse("prospects:account_detail", args=[account_id])


def _accounts(user: User) -> QuerySet[Account]:
    return accounts_visible_to(user).select_related("owner", "segment")


def _show_account(account: Account) -> Shown:
    segment = account.segment.name if account.segment else "No segment"
    return Shown(
        title=account.name,
        url=_account_url(account.pk),
        detail=f"{segment} · {account.owner.display_name}",
    )


def _contacts(user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(account__in=accounts_visible_to(user)).select_related("account")


def _show_contact(contact: Contact) -> Shown:
    return Shown(
        title=contact.name,
        url=reverse("prospects:contact_detail", args=[contact.pk]),
        text=" · ".join(part for part in (contact.title, contact.email) if part),
        detail=contact.account.name,
    )


def _why_notes(user: User) -> QuerySet[WhyNote]:
    return WhyNote.objects.filter(account__in=accounts_visible_to(user)).select_related("account")


def _show_why(note: WhyNote) -> Shown:
    return Shown(
        title=note.account.name,
        url=_account_url(note.account_id),
        text=note.text,
        detail=f"Said on {dateformat.format(note.said_on, 'j M Y')}",
    )


def _conversations(user: User) -> QuerySet[Conversation]:
    return Conversation.objects.filter(account__in=accounts_visible_to(user)).select_related(
        "account"
    )


def _show_conversation(conversation: Conversation) -> Shown:
    when = dateformat.format(timezone.localtime(conversation.occurred_at), "j M Y")
    return Shown(
        title=conversation.account.name,
        url=_account_url(conversation.account_id),
        text=" — ".join(part for part in (conversation.notes, conversation.emotion_found) if part),
        detail=f"{conversation.get_kind_display()} · {when}",
    )


def register() -> None:
    KINDS.register(
        Kind(
            key="accounts",
            label="Accounts",
            noun="accounts",
            position=10,
            visible=_accounts,
            fields=SEARCH_FIELDS["account"],
            show=_show_account,
            name="name",
        )
    )
    KINDS.register(
        Kind(
            key="contacts",
            label="Contacts",
            noun="contacts",
            position=20,
            visible=_contacts,
            fields=SEARCH_FIELDS["contact"],
            show=_show_contact,
            name="name",
        )
    )
    KINDS.register(
        Kind(
            key="why",
            label="Why notes",
            noun="why notes",
            position=40,
            visible=_why_notes,
            fields=SEARCH_FIELDS["whynote"],
            show=_show_why,
        )
    )
    KINDS.register(
        Kind(
            key="conversations",
            label="Conversation notes",
            noun="conversation notes",
            position=50,
            visible=_conversations,
            fields=SEARCH_FIELDS["conversation"],
            show=_show_conversation,
            newest="occurred_at",
        )
    )
