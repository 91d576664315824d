"""Who may see or change what in prospects, in one place: every view, service, form and
admin page of prospects asks here, and so do the apps built on it.

A rep sees their own team's accounts (their own to edit, teammates' read-only); a manager
sees and edits their team's; sales ops and admins see and edit everything (the rule of
salesflow.core.access). Anything outside that answers 404, so ids of other teams' accounts
reveal nothing; a page that would change what the user may only read answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404

from prospects.models import Account, AccountImport, Contact, Conversation
from salesflow.core.access import can_edit_owned, owned_editable_by, owned_visible_to
from salesflow.core.models import User


def accounts_visible_to(user: User) -> QuerySet[Account]:
    return owned_visible_to(Account.objects.all(), user)


def accounts_editable_by(user: User) -> QuerySet[Account]:
    return owned_editable_by(Account.objects.all(), user)


def can_edit_account(user: User, account: Account) -> bool:
    return can_edit_owned(user, account.owner)


def get_account_for_user(user: User, pk: object, *, for_edit: bool = False) -> Account:
    """The account if the user may see it (404 otherwise); 403 if editing is asked and refused."""
    try:
        account = (
            accounts_visible_to(user)
            .select_related("owner", "segment", "lead_source")
            .get(pk=int(pk))
        )  # type: ignore[call-overload]
    except (Account.DoesNotExist, TypeError, ValueError):
        raise Http404("No such account.") from None
    if for_edit and not can_edit_account(user, account):
        raise PermissionDenied("This account is read-only for you.")
    return account


def get_contact_for_user(user: User, pk: object, *, for_edit: bool = False) -> Contact:
    try:
        contact = Contact.objects.select_related("account").get(
            pk=int(pk),  # type: ignore[call-overload]
            account__in=accounts_visible_to(user),
        )
    except (Contact.DoesNotExist, TypeError, ValueError):
        raise Http404("No such contact.") from None
    if for_edit:
        get_account_for_user(user, contact.account_id, for_edit=True)
    return contact


def get_conversation_for_user(user: User, pk: object) -> Conversation:
    """A conversation is seen by whoever sees its account (404 otherwise)."""
    try:
        return Conversation.objects.select_related("logged_by").get(
            pk=int(pk),  # type: ignore[call-overload]
            account__in=accounts_visible_to(user),
        )
    except (Conversation.DoesNotExist, TypeError, ValueError):
        raise Http404("No such conversation.") from None


def get_import_for_user(user: User, pk: object) -> AccountImport:
    """Only the person who uploaded an import (or sales ops and admins) sees its report."""
    imports = AccountImport.objects.defer("content")
    if not user.sees_everything:
        imports = imports.filter(uploaded_by=user)
    try:
        return imports.get(pk=int(pk))  # type: ignore[call-overload]
    except (AccountImport.DoesNotExist, TypeError, ValueError):
        raise Http404("No such import.") from None


def get_import_to_map(user: User, pk: object) -> AccountImport:
    """Only the uploader says what their file's columns hold (404 for anyone else: the file
    may name people the others may not see)."""
    try:
        return AccountImport.objects.get(pk=int(pk), uploaded_by=user)  # type: ignore[call-overload]
    except (AccountImport.DoesNotExist, TypeError, ValueError):
        raise Http404("No such import.") from None


def assignable_owners(user: User) -> QuerySet[User]:
    """Whom the user may make an account's owner (or a deal's: pipeline asks the same)."""
    people = User.objects.filter(is_active=True)
    if user.sees_everything:
        return people
    if user.is_manager and user.team_id is not None:
        return people.filter(team_id=user.team_id)
    return people.filter(pk=user.pk)


def check_assignable_owner(*, actor: User, owner: User, what: str = "accounts") -> None:
    """Refuse, on the form's owner field, an owner the actor may not give `what` to."""
    if not assignable_owners(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": f"You cannot give {what} to this person."})
