"""Merging a duplicate account into the one kept, with its contacts (those that look like
the same person made one), and everything that points at either."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from prospects import access, signals
from prospects.merge import selectors
from prospects.models import READINESS_QUESTIONS, Account, AccountEvent
from prospects.services import ACCOUNT_FIELDS, account_check_status
from salesflow.core.audit.context import audit_context
from salesflow.core.audit.tracking import is_audit_model
from salesflow.core.models import User

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
    # The audit history says which merge wrote each change, for whoever merged.
    with audit_context(user=actor.pk, reason=f"merge of #{duplicate.pk} into #{survivor.pk}"):
        return _merge(
            actor=actor, survivor=survivor, duplicate=duplicate, values=values, contacts=contacts
        )


def _merge(
    *,
    actor: User,
    survivor: Account,
    duplicate: Account,
    values: dict[str, object],
    contacts: Mapping[int, Mapping[str, object]] | None,
) -> Account:
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
        if not access.can_edit_account(actor, account):
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
        access.check_assignable_owner(actor=actor, owner=values["owner"])  # type: ignore[arg-type]
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
    # What moved may matter to the apps built on this one (pipeline: the duplicate's
    # conversations may be newer than anything on the survivor's deals).
    signals.account_merged.send(sender=Account, survivor=survivor, actor=actor)
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
        if is_audit_model(model):
            # History is what happened: the duplicate's audit events stay about it.
            continue
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
        changes: dict[str, object] = {name: new}
        # Moved rows changed (a deal now belongs to the survivor), and update() does not
        # touch auto_now fields: an API sync reading updated_since must see them.
        now = timezone.now()
        changes.update({f.name: now for f in model._meta.fields if getattr(f, "auto_now", False)})
        rows.update(**changes)
