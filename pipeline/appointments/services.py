"""Every write on appointments: planning one, editing its details, moving it (the old time
kept in its history) and cancelling it. Each checks access and validates before saving."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pipeline.appointments.access import can_edit_appointment
from pipeline.appointments.models import Appointment, AppointmentChange
from pipeline.deals.models import Opportunity
from prospects.access import can_edit_account
from prospects.models import Account, Contact
from salesflow.core.models import User
from salesflow.core.services import model_update

DETAIL_FIELDS = ("kind", "duration_minutes", "place", "agenda", "opportunity")


def _check_belongs(
    *, account: Account, opportunity: Opportunity | None, contacts: Iterable[Contact]
) -> list[Contact]:
    if opportunity is not None and opportunity.account_id != account.pk:
        raise ValidationError({"opportunity": "That deal is on another account."})
    contacts = list(contacts)
    if any(contact.account_id != account.pk for contact in contacts):
        raise ValidationError({"contacts": "Only this account's contacts can be invited."})
    return contacts


def _check_aware(starts_at: datetime) -> None:
    if timezone.is_naive(starts_at):
        # A programming error, not a user's: forms give aware times in the user's zone.
        raise ValueError("An appointment's start must be an aware datetime.")


@transaction.atomic
def appointment_create(
    *,
    actor: User,
    account: Account,
    starts_at: datetime,
    kind: str = Appointment.Kind.CALL,
    duration_minutes: int = 30,
    place: str = "",
    agenda: str = "",
    opportunity: Opportunity | None = None,
    contacts: Iterable[Contact] = (),
) -> Appointment:
    if not can_edit_account(actor, account):
        raise PermissionDenied("You may not plan appointments on this account.")
    _check_aware(starts_at)
    invited = _check_belongs(account=account, opportunity=opportunity, contacts=contacts)
    appointment = Appointment(
        account=account,
        opportunity=opportunity,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        agenda=agenda,
        # The account's owner keeps the appointment whoever typed it in (a manager may
        # plan one for the rep who will hold it).
        owner_id=account.owner_id,
        created_by=actor,
    )
    appointment.full_clean()
    appointment.save()
    appointment.contacts.set(invited)
    return appointment


@transaction.atomic
def appointment_update(
    *,
    actor: User,
    appointment: Appointment,
    contacts: Iterable[Contact] | None = None,
    **data: Any,
) -> Appointment:
    """Edit what the appointment is about; its time moves only through
    appointment_reschedule, so every move is kept."""

    def check(locked: Appointment, data: dict[str, Any]) -> None:
        if not can_edit_appointment(actor, locked):
            raise PermissionDenied("This appointment is read-only for you.")
        if locked.status != Appointment.Status.PLANNED:
            raise ValidationError("Only a planned appointment can be edited.")
        _check_belongs(
            account=locked.account, opportunity=data.get("opportunity"), contacts=contacts or ()
        )

    locked, _ = model_update(
        instance=appointment,
        fields=DETAIL_FIELDS,
        data=data,
        check=check,
        related=("account",),
    )
    if contacts is not None:
        locked.contacts.set(list(contacts))
    return locked


@transaction.atomic
def appointment_reschedule(
    *,
    actor: User,
    appointment: Appointment,
    starts_at: datetime,
    moved_by: str,
) -> Appointment:
    """Move the appointment to a new time the prospect agreed to; the old time stays in its
    history with who asked for the move."""
    _check_aware(starts_at)
    if moved_by not in AppointmentChange.MovedBy.values:
        raise ValidationError({"moved_by": "Say who moved it: the prospect or us."})
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("account")
        .get(pk=appointment.pk)
    )
    if not can_edit_appointment(actor, locked):
        raise PermissionDenied("This appointment is read-only for you.")
    if locked.status != Appointment.Status.PLANNED:
        raise ValidationError("Only a planned appointment can be moved.")
    if starts_at == locked.starts_at:
        raise ValidationError({"starts_at": "That is the time it already has."})
    AppointmentChange.objects.create(
        appointment=locked,
        old_starts_at=locked.starts_at,
        new_starts_at=starts_at,
        moved_by=moved_by,
        by=actor,
    )
    # A new time earns a new reminder.
    Appointment.objects.filter(pk=locked.pk).update(starts_at=starts_at, reminded_at=None)
    locked.starts_at = starts_at
    locked.reminded_at = None
    return locked


@transaction.atomic
def appointment_cancel(*, actor: User, appointment: Appointment) -> Appointment:
    locked = Appointment.objects.select_related("account").get(pk=appointment.pk)
    if not can_edit_appointment(actor, locked):
        raise PermissionDenied("This appointment is read-only for you.")
    # The guarded UPDATE: two people cancelling at once, or one cancelling what was just
    # marked held, touch it once.
    moved = Appointment.objects.filter(pk=locked.pk, status=Appointment.Status.PLANNED).update(
        status=Appointment.Status.CANCELLED
    )
    if moved != 1:
        raise ValidationError("Only a planned appointment can be cancelled.")
    locked.status = Appointment.Status.CANCELLED
    return locked
