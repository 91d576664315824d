"""Writes for accounts, contacts, conversations and why notes. Views and tasks call these."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.utils import timezone

from prospects import importing, selectors
from prospects.models import (
    READINESS_QUESTIONS,
    Account,
    AccountEvent,
    AccountImport,
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
    return True


@transaction.atomic
def account_update(*, actor: User, account: Account, **changes: object) -> Account:
    def check(locked: Account, data: dict[str, object]) -> None:
        if not selectors.can_edit_account(actor, locked):
            raise ValidationError("This account is read-only for you.")
        if "owner" in data and data["owner"] != locked.owner:
            _check_owner(actor=actor, owner=data["owner"])  # type: ignore[arg-type]
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
    return locked


@transaction.atomic
def contact_save(*, actor: User, contact: Contact) -> Contact:
    if not selectors.can_edit_account(actor, contact.account):
        raise ValidationError("This account is read-only for you.")
    contact.full_clean()
    contact.save()
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
    if not selectors.can_edit_account(actor, account):
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
    conversation.full_clean(exclude=["submission_key"])
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
    # Imported here: the pipeline app builds on this one, not the other way round.
    from pipeline.deals import services as deal_services
    from pipeline.followups import services as followup_services

    deal_services.opportunities_unstick(account.opportunities.all())
    conversation.follow_up_proposal = followup_services.followup_after_conversation(
        actor=actor, conversation=conversation
    )
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


# --- CSV import -----------------------------------------------------------------------


@transaction.atomic
def account_import_start(*, actor: User, file_name: str, content: str) -> AccountImport:
    """Keep the upload and run it now when small, or hand it to a worker when large."""
    total = importing.count_rows(content)  # raises ImportFileError for an unreadable file
    if total == 0:
        raise importing.ImportFileError("The file has a header but no rows.")
    job = AccountImport.objects.create(
        uploaded_by=actor, file_name=file_name[:200], content=content, total_rows=total
    )
    if total >= settings.SALESFLOW_IMPORT_ASYNC_ROWS:
        from prospects.tasks import run_account_import

        run_account_import.delay_on_commit(job.pk)
    else:
        account_import_run(import_id=job.pk)
        job.refresh_from_db()
    return job


def account_import_run(*, import_id: int) -> None:
    """Check every row, then write all of it in one transaction, or nothing at all."""
    # Claimed by exactly one run: queued, or running for longer than the task's hard time
    # limit, which means the worker died mid-import (its transaction rolled back, nothing
    # was written) and this is the broker's redelivery. A second delivery of a live import
    # finds nothing to claim.
    now = timezone.now()
    abandoned = Q(
        status=AccountImport.Status.RUNNING,
        started_at__lt=now - timedelta(seconds=IMPORT_TIME_LIMIT),
    )
    claimed = AccountImport.objects.filter(
        Q(status=AccountImport.Status.QUEUED) | abandoned, pk=import_id
    ).update(status=AccountImport.Status.RUNNING, started_at=now)
    if not claimed:
        return
    job = AccountImport.objects.select_related("uploaded_by").get(pk=import_id)
    key = importing.progress_key(import_id)
    # Progress lives in the cache: rows written inside the import's transaction are not
    # visible to the page polling for progress until it commits.
    cache.set(key, 0, timeout=3600)
    actor = job.uploaded_by
    owners = {user.username: user for user in selectors.assignable_owners(actor)}
    try:
        checked = importing.check(
            job.content, owners=owners, actor=actor, progress=lambda n: cache.set(key, n // 2, 3600)
        )
        if checked.error_count:
            _finish_import(
                job,
                AccountImport.Status.INVALID,
                errors=checked.errors,
                error_count=checked.error_count,
            )
            return
        with transaction.atomic():
            accounts, contacts = _write_import(
                actor,
                checked.rows,
                on_batch=lambda n: cache.set(key, job.total_rows // 2 + n // 2, 3600),
            )
        job.accounts_created, job.contacts_created = accounts, contacts
        _finish_import(job, AccountImport.Status.DONE)
    except importing.ImportFileError as exc:
        _finish_import(
            job,
            AccountImport.Status.INVALID,
            errors=[{"row": 0, "column": "", "message": str(exc)}],
            error_count=1,
        )
    except Exception:
        _finish_import(
            job,
            AccountImport.Status.FAILED,
            errors=[
                {
                    "row": 0,
                    "column": "",
                    "message": "The import stopped on an unexpected error; nothing was written.",
                }
            ],
            error_count=1,
        )
        raise
    finally:
        cache.delete(key)


def _finish_import(
    job: AccountImport, status: str, *, errors: list | None = None, error_count: int = 0
) -> None:
    job.status = status
    job.errors = errors or []
    if error_count > len(job.errors):
        job.errors.append(
            {
                "row": None,
                "column": "",
                "message": f"…and {error_count - len(job.errors)} more errors.",
            }
        )
    job.finished_at = timezone.now()
    job.save(
        update_fields=["status", "errors", "accounts_created", "contacts_created", "finished_at"]
    )


IMPORT_BATCH = 1000
# Imports get a time limit of their own: 100,000 rows take minutes, not the seconds an
# ordinary background job is allowed.
IMPORT_TIME_LIMIT = 1800


def _write_import(
    actor: User, rows: list[importing.ParsedRow], *, on_batch: object
) -> tuple[int, int]:
    """Bulk-create the accounts, their contacts and timeline entries."""
    now = timezone.now()
    first_rows: dict[str, importing.ParsedRow] = {}
    for row in rows:
        first_rows.setdefault(str(row.data["account_name"]), row)
    accounts: dict[str, Account] = {}
    names = list(first_rows)
    for start in range(0, len(names), IMPORT_BATCH):
        batch = []
        for name in names[start : start + IMPORT_BATCH]:
            data = first_rows[name].data
            batch.append(
                Account(
                    name=name,
                    website=data["website"],
                    segment_id=data["segment"],
                    lead_source_id=data["lead_source"],
                    owner=data["owner"],
                    status=data["status"],
                    disqualified_reason=data["disqualified_reason"]
                    if data["status"] == Account.Status.DISQUALIFIED
                    else "",
                )
            )
        for account in Account.objects.bulk_create(batch):
            accounts[account.name] = account
        on_batch(start + len(batch))  # type: ignore[operator]
    AccountEvent.objects.bulk_create(
        (
            AccountEvent(
                account=account,
                kind=AccountEvent.Kind.CREATED,
                occurred_at=now,
                actor=actor,
                summary="Imported from CSV",
            )
            for account in accounts.values()
        ),
        batch_size=IMPORT_BATCH,
    )
    contacts = [
        Contact(
            account=accounts[str(row.data["account_name"])],
            name=row.data["contact_name"],
            title=row.data["contact_title"],
            email=row.data["contact_email"],
            phone=row.data["contact_phone"],
            buying_role=row.data["contact_role"],
        )
        for row in rows
        if row.data["contact_name"]
    ]
    Contact.objects.bulk_create(contacts, batch_size=IMPORT_BATCH)
    return len(accounts), len(contacts)


# --- Merging duplicates -----------------------------------------------------------------


# The fields of a contact a person edits; a merge of two contacts chooses among them.
CONTACT_FIELDS = ("name", "title", "email", "phone", "buying_role")


@transaction.atomic
def account_merge(
    *,
    actor: User,
    survivor: Account,
    duplicate: Account,
    values: dict[str, object],
    contacts: Mapping[int, Mapping[str, object]] | None = None,
) -> Account:
    """Fold the duplicate into the survivor: chosen field values, and every contact,
    conversation, why note, deal, follow-up and timeline entry, in one transaction; the
    duplicate is deleted.

    `contacts` names the duplicate's contacts to merge into the survivor's look-alike
    (selectors.merge_contact_pairs), each with the values the merged contact keeps; the
    duplicate's other contacts move over as they are.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError("Pick two different accounts to merge.")
    contacts = contacts or {}
    # Lock both rows in a fixed order, so two merges of the same pair cannot deadlock.
    rows = (
        Account.objects.select_for_update()
        .filter(pk__in=[survivor.pk, duplicate.pk])
        .order_by("pk")
    )
    locked = {account.pk: account for account in rows}
    if len(locked) != 2:
        raise ValidationError("One of the accounts no longer exists.")
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    for account in (survivor, duplicate):
        if not selectors.can_edit_account(actor, account):
            raise ValidationError("You can merge only accounts you may edit.")
    unknown = set(values) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"account_merge cannot set {', '.join(sorted(unknown))}")
    for chosen in contacts.values():
        unknown = set(chosen) - set(CONTACT_FIELDS)
        if unknown:
            raise TypeError(f"account_merge cannot set a contact's {', '.join(sorted(unknown))}")
    pairs = {
        pair.drop.pk: pair
        for pair in selectors.merge_contact_pairs(survivor=survivor, duplicate=duplicate)
    }
    if set(contacts) - set(pairs):
        raise ValidationError(
            "The contacts changed while you were choosing; look at the merge again."
        )
    if "owner" in values and values["owner"] != survivor.owner:
        _check_owner(actor=actor, owner=values["owner"])  # type: ignore[arg-type]
    for field, value in values.items():
        setattr(survivor, field, value)
    if survivor.status != Account.Status.DISQUALIFIED:
        survivor.disqualified_reason = ""
    # The survivor gets the duplicate's deals: a won one among them makes it a customer.
    account_check_status(account=survivor, status=survivor.status, merging=duplicate)
    # Each readiness answer: whichever account heard it most recently.
    for field, _ in READINESS_QUESTIONS:
        theirs = getattr(duplicate, f"{field}_changed_at")
        ours = getattr(survivor, f"{field}_changed_at")
        if theirs and (ours is None or theirs > ours):
            setattr(survivor, field, getattr(duplicate, field))
            setattr(survivor, f"{field}_changed_at", theirs)
    survivor.full_clean()
    survivor.save()
    for drop_pk, chosen in contacts.items():
        keep, drop = pairs[drop_pk].keep, pairs[drop_pk].drop
        for field, value in chosen.items():
            setattr(keep, field, value)
        keep.full_clean()
        keep.save()
        # Their conversations, the why notes they said, the SOE steps they carry…
        _repoint(old=drop, new=keep)
        drop.delete()
    # Its history moves, but not its "Account created": the survivor was created once.
    # Deals keep their owner, stage and history; only the account they belong to changes.
    _repoint(
        old=duplicate,
        new=survivor,
        leave={AccountEvent: Q(kind=AccountEvent.Kind.CREATED)},
    )
    merged = len(contacts)
    summary = f"Merged “{duplicate.name}” into this account"
    if merged:
        summary += f", and {merged} of its contacts with contacts here"
    AccountEvent.objects.create(
        account=survivor,
        kind=AccountEvent.Kind.MERGED,
        occurred_at=timezone.now(),
        actor=actor,
        summary=summary[:300],
    )
    duplicate.delete()
    from pipeline.deals import services as deal_services

    # The duplicate's conversations may be newer than anything on the survivor's deals.
    deal_services.opportunities_unstick(survivor.opportunities.all())
    return survivor


def _repoint(*, old: Model, new: Model, leave: Mapping[type[Model], Q] | None = None) -> None:
    """Point every row that refers to `old` — by any foreign key or many-to-many, hidden
    ones (related_name="+") included — at `new`, except the rows `leave` names.

    The relations are read from the models themselves, not listed here: a model added
    later that points at a contact or an account (in this app or one built on it) is moved
    by a merge without anyone remembering to add it.
    """
    leave = leave or {}
    for relation in type(old)._meta.get_fields(include_hidden=True):
        # Reverse foreign keys only: a many-to-many's rows are its through table's, whose
        # own foreign key is among these.
        if not (relation.is_relation and relation.auto_created and not relation.concrete):
            continue
        if relation.many_to_many:
            continue
        model, name = relation.related_model, relation.field.name
        rows = model._base_manager.filter(**{name: old})
        if model in leave:
            rows = rows.exclude(leave[model])
        if model._meta.auto_created:
            # A many-to-many table holds each pair once: where `new` is already linked to
            # the same row, the link to `old` goes instead of becoming a second copy.
            other = next(
                field.name
                for field in model._meta.fields
                if field.is_relation and field.name != name
            )
            linked = model._base_manager.filter(**{name: new}).values(other)
            rows.filter(**{f"{other}__in": linked}).delete()
        rows.update(**{name: new})
