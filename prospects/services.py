"""Writes for accounts, contacts, conversations and why notes. Views and tasks call these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from prospects import selectors
from prospects.models import (
    READINESS_QUESTIONS,
    Account,
    AccountEvent,
    Answer,
    Contact,
    Conversation,
    FacilitativeQuestion,
    LeadSource,
    Segment,
    WhyNote,
)
from salesflow.core.models import User

ACCOUNT_FIELDS = (
    "name",
    "website",
    "segment",
    "lead_source",
    "owner",
    "status",
    "disqualified_reason",
)


def _check_owner(*, actor: User, owner: User) -> None:
    if not selectors.assignable_owners(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": "You cannot give accounts to this person."})


@transaction.atomic
def account_create(
    *,
    actor: User,
    name: str,
    owner: User,
    website: str = "",
    segment: Segment | None = None,
    lead_source: LeadSource | None = None,
    status: str = Account.Status.PROSPECT,
    disqualified_reason: str = "",
) -> Account:
    _check_owner(actor=actor, owner=owner)
    account = Account(
        name=name,
        website=website,
        segment=segment,
        lead_source=lead_source,
        owner=owner,
        status=status,
        disqualified_reason=disqualified_reason if status == Account.Status.DISQUALIFIED else "",
    )
    account.full_clean()
    account.save()
    AccountEvent.objects.create(
        account=account, kind=AccountEvent.Kind.CREATED, occurred_at=timezone.now(), actor=actor
    )
    return account


@transaction.atomic
def account_update(*, actor: User, account: Account, **changes: object) -> Account:
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"account_update cannot change {', '.join(sorted(unknown))}")
    if not selectors.can_edit_account(actor, account):
        raise ValidationError("This account is read-only for you.")
    # Lock the row: two editors must not both record the same status change.
    locked = Account.objects.select_for_update().get(pk=account.pk)
    old_status = locked.status
    if "owner" in changes and changes["owner"] != locked.owner:
        _check_owner(actor=actor, owner=changes["owner"])  # type: ignore[arg-type]
    for field, value in changes.items():
        setattr(locked, field, value)
    if locked.status != Account.Status.DISQUALIFIED:
        locked.disqualified_reason = ""
    locked.full_clean()
    locked.save()
    if locked.status != old_status:
        summary = f"{Account.Status(old_status).label} → {locked.get_status_display()}"
        if locked.status == Account.Status.DISQUALIFIED:
            summary += f": {locked.disqualified_reason}"
        AccountEvent.objects.create(
            account=locked,
            kind=AccountEvent.Kind.STATUS,
            occurred_at=timezone.now(),
            actor=actor,
            summary=summary[:300],
        )
    return locked


@transaction.atomic
def contact_save(*, actor: User, contact: Contact) -> Contact:
    if not selectors.can_edit_account(actor, contact.account):
        raise ValidationError("This account is read-only for you.")
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def conversation_log(
    *,
    actor: User,
    account: Account,
    occurred_at: datetime,
    channel: str,
    kind: str,
    notes: str = "",
    emotion_found: str = "",
    has_problem: str = Answer.UNKNOWN,
    accepts_significance: str = Answer.UNKNOWN,
    ready_to_act: str = Answer.UNKNOWN,
    contacts: Iterable[Contact] = (),
    questions_asked: Iterable[FacilitativeQuestion] = (),
) -> Conversation:
    """Record a conversation and move the account's readiness answers on where it says so."""
    if not selectors.can_edit_account(actor, account):
        raise ValidationError("This account is read-only for you.")
    contacts = list(contacts)
    questions = list(questions_asked)
    if any(contact.account_id != account.pk for contact in contacts):
        raise ValidationError({"contacts": "Pick contacts of this account only."})
    if any(question.kind != kind for question in questions):
        raise ValidationError(
            {"questions_asked": "Those questions belong to another kind of conversation."}
        )
    conversation = Conversation(
        account=account,
        logged_by=actor,
        occurred_at=occurred_at,
        channel=channel,
        kind=kind,
        notes=notes,
        emotion_found=emotion_found,
        has_problem=has_problem,
        accepts_significance=accepts_significance,
        ready_to_act=ready_to_act,
    )
    conversation.full_clean()
    conversation.save()
    conversation.contacts.set(contacts)
    conversation.questions_asked.set(questions)
    AccountEvent.objects.create(
        account=account,
        kind=AccountEvent.Kind.CONVERSATION,
        occurred_at=occurred_at,
        actor=actor,
        conversation=conversation,
    )
    _apply_readiness(account=account, conversation=conversation)
    return conversation


def _apply_readiness(*, account: Account, conversation: Conversation) -> None:
    # An "unknown" answer means the question did not come up: it never overwrites an answer.
    # A conversation logged late only counts where no newer conversation answered already.
    answered = [
        field for field, _ in READINESS_QUESTIONS if getattr(conversation, field) != Answer.UNKNOWN
    ]
    if not answered:
        return
    newer = selectors.newer_answers(account=account, conversation=conversation)
    locked = Account.objects.select_for_update().get(pk=account.pk)
    changed: list[str] = []
    for field in answered:
        answer = getattr(conversation, field)
        if newer[field] or getattr(locked, field) == answer:
            continue
        setattr(locked, field, answer)
        setattr(locked, f"{field}_changed_at", conversation.occurred_at)
        changed += [field, f"{field}_changed_at"]
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        for field in changed:
            setattr(account, field, getattr(locked, field))


@transaction.atomic
def why_record(
    *,
    actor: User,
    account: Account,
    text: str,
    said_on: date,
    said_by: Contact | None = None,
) -> WhyNote:
    """Record the prospect's why as a new version; the earlier ones stay as history."""
    if not selectors.can_edit_account(actor, account):
        raise ValidationError("This account is read-only for you.")
    if said_by is not None and said_by.account_id != account.pk:
        raise ValidationError({"said_by": "Pick a contact of this account."})
    note = WhyNote(
        account=account, text=text.strip(), said_on=said_on, said_by=said_by, recorded_by=actor
    )
    note.full_clean()
    note.save()
    AccountEvent.objects.create(
        account=account,
        kind=AccountEvent.Kind.WHY,
        occurred_at=note.created_at,
        actor=actor,
        why_note=note,
    )
    return note
