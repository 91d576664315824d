"""Writes for accounts, contacts, conversations and why notes. Views and tasks call these."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from prospects import access, selectors, signals
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
from salesflow.core.services import model_update
from salesflow.core.webhooks.events import webhook_event

# The fields of an account a person edits (the form, updates, merges).
ACCOUNT_FIELDS = (
    "name",
    "website",
    "segment",
    "lead_source",
    "owner",
    "status",
    "disqualified_reason",
)


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
    access.check_assignable_owner(actor=actor, owner=owner)
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
    webhook_event("account.created", account, actor=actor)
    return account


# Rules a part of the product built on this one keeps about an account's status, each
# given the accounts concerned and the status asked for, answering why not (or None).
# Registered from that app's ready(): pipeline's says an account with a won deal stays a
# customer. prospects announces; it never imports what builds on it.
STATUS_RULES: list[Callable[[list[Account], str], str | None]] = []


def account_check_status(*, account: Account, status: str, merging: Account | None = None) -> None:
    """Refuse a status the registered rules forbid (in a merge, for either account). Every
    write that sets a status asks here: the edit form, the admin and the merge."""
    if account.pk is None:
        return
    accounts = [account] if merging is None else [account, merging]
    for rule in STATUS_RULES:
        refusal = rule(accounts, status)
        if refusal:
            raise ValidationError({"status": refusal})


@transaction.atomic
def account_become_customer(
    *, account: Account, actor: User | None, because: str, at: datetime | None = None
) -> bool:
    """A prospect that buys becomes a customer, with the change on its timeline; returns
    whether the status changed. Called by the service that wins a deal
    (pipeline.deals.services.opportunity_move_stage), from the board, the deal page or the admin:
    the status follows the deal, so the deal's access rules decide, not the account's.
    Losing or reopening a deal later changes nothing here: a customer stays one."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.status == Account.Status.CUSTOMER:
        return False
    before = locked.get_status_display()
    locked.status, locked.disqualified_reason = Account.Status.CUSTOMER, ""
    locked.save(update_fields=["status", "disqualified_reason", "updated_at"])
    AccountEvent.objects.create(
        account=locked,
        kind=AccountEvent.Kind.STATUS,
        occurred_at=at or timezone.now(),
        actor=actor,
        summary=f"{before} → {locked.get_status_display()}: {because}"[:300],
    )
    account.status, account.disqualified_reason = locked.status, ""
    webhook_event("account.updated", locked, actor=actor)
    return True


@transaction.atomic
def account_update(*, actor: User, account: Account, **changes: object) -> Account:
    def check(locked: Account, data: dict[str, object]) -> None:
        if not access.can_edit_account(actor, locked):
            raise ValidationError("This account is read-only for you.")
        if "owner" in data and data["owner"] != locked.owner:
            access.check_assignable_owner(actor=actor, owner=data["owner"])  # type: ignore[arg-type]
        status = data.get("status", locked.status)
        if status != Account.Status.DISQUALIFIED:
            data["disqualified_reason"] = ""
        if status != locked.status:
            account_check_status(account=locked, status=status)  # type: ignore[arg-type]

    # The row is locked: two editors must not both record the same status change.
    locked, changed = model_update(
        instance=account, fields=ACCOUNT_FIELDS, data=changes, check=check, related=["owner"]
    )
    if "status" in changed:
        summary = f"{Account.Status(changed['status']).label} → {locked.get_status_display()}"
        if locked.status == Account.Status.DISQUALIFIED:
            summary += f": {locked.disqualified_reason}"
        AccountEvent.objects.create(
            account=locked,
            kind=AccountEvent.Kind.STATUS,
            occurred_at=timezone.now(),
            actor=actor,
            summary=summary[:300],
        )
    if changed:
        webhook_event("account.updated", locked, actor=actor)
    return locked


@transaction.atomic
def contact_save(*, actor: User, contact: Contact) -> Contact:
    if not access.can_edit_account(actor, contact.account):
        raise ValidationError("This account is read-only for you.")
    if contact.erased_at is not None:
        # The placeholder of an erased person stays anonymous: a new person is a new contact.
        raise ValidationError("This contact's data was erased; add a new contact instead.")
    contact.full_clean()
    creating = contact._state.adding
    contact.save()
    webhook_event("contact.created" if creating else "contact.updated", contact, actor=actor)
    return contact


# Said when a conversation would record nothing: the usual cause is "Log" pressed again on
# the fresh form that follows a logged conversation.
EMPTY_CONVERSATION = (
    "Nothing to log yet: write what was said, record an answer to a reflection question, "
    "or tick a question you asked."
)


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
    submission_key: uuid.UUID | None = None,
) -> Conversation:
    """Record a conversation and move the account's readiness answers on where it says so.

    With a submission_key (the logging form's one-time token) the same submission is saved
    once: sending it again answers with the conversation it saved the first time.
    """
    if not access.can_edit_account(actor, account):
        raise ValidationError("This account is read-only for you.")
    if submission_key is not None:
        saved = _conversation_already_logged(
            actor=actor, account=account, submission_key=submission_key
        )
        if saved is not None:
            return saved
    contacts = list(contacts)
    questions = list(questions_asked)
    answers = (has_problem, accepts_significance, ready_to_act)
    if (
        not notes.strip()
        and not emotion_found.strip()
        and not questions
        and all(answer == Answer.UNKNOWN for answer in answers)
    ):
        raise ValidationError(EMPTY_CONVERSATION, code="empty")
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
        submission_key=submission_key,
    )
    # The future-time rule lives on the field (models.validate_not_in_the_future); the key's
    # uniqueness is settled by the insert below, not by a second look-up here.
    # The account and the actor are rows already read (and checked above): validating them
    # again would ask the database twice more whether they exist.
    conversation.full_clean(exclude=["submission_key", "account", "logged_by"])
    try:
        with transaction.atomic():
            conversation.save()
    except IntegrityError:
        # The same submission arrived twice at once: the unique key made the second insert
        # wait for the first to commit, then fail. Answer with what the first one saved.
        if submission_key is None:
            raise
        saved = _conversation_already_logged(
            actor=actor, account=account, submission_key=submission_key
        )
        if saved is None:
            raise
        return saved
    # A new conversation has no links yet: add only what there is (set() would first ask).
    if contacts:
        conversation.contacts.add(*contacts)
    if questions:
        conversation.questions_asked.add(*questions)
    AccountEvent.objects.create(
        account=account,
        kind=AccountEvent.Kind.CONVERSATION,
        occurred_at=occurred_at,
        actor=actor,
        conversation=conversation,
    )
    _apply_readiness(account=account, conversation=conversation)
    # The apps built on this one act on it here, in this transaction (pipeline: the
    # account's deals are no longer stuck, a follow-up may be proposed), and may say so.
    answers = signals.conversation_logged.send(
        sender=Conversation, conversation=conversation, actor=actor
    )
    conversation.outcome_messages = [answer for _, answer in answers if answer]
    return conversation


def _conversation_already_logged(
    *, actor: User, account: Account, submission_key: uuid.UUID
) -> Conversation | None:
    saved = Conversation.objects.filter(submission_key=submission_key).first()
    if saved is not None and (saved.account_id, saved.logged_by_id) != (account.pk, actor.pk):
        # A token is made for one form on one account page; reused anywhere else it is stale.
        raise ValidationError("This form was already used; reload the page and log again.")
    return saved


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
        webhook_event("account.updated", locked, actor=conversation.logged_by)


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
    if not access.can_edit_account(actor, account):
        raise ValidationError("This account is read-only for you.")
    if said_by is not None and said_by.account_id != account.pk:
        raise ValidationError({"said_by": "Pick a contact of this account."})
    current = selectors.current_why(account=account)
    if current and (current.text, current.said_by_id, current.said_on) == (
        text.strip(),
        said_by and said_by.pk,
        said_on,
    ):
        return current  # saved unchanged: no new version, no timeline entry
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
