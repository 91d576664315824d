"""Who may see and change which appointment, in one place: every view and service of
appointments asks here.

An appointment is seen by whoever sees its account and planned, moved or cancelled by
whoever may edit the account (prospects.access); anything else answers 404, and a change
the user may not make 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from pipeline.appointments.models import Appointment
from prospects.access import accounts_visible_to, can_edit_account
from salesflow.core.models import User


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(account__in=accounts_visible_to(user))


def can_edit_appointment(user: User, appointment: Appointment) -> bool:
    return can_edit_account(user, appointment.account)


def get_appointment_for_user(user: User, pk: object, *, for_edit: bool = False) -> Appointment:
    """An appointment on an account the user may see (404 otherwise); 403 if editing is
    asked and refused."""
    try:
        appointment = (
            appointments_visible_to(user)
            .select_related("account", "account__owner", "opportunity", "owner")
            .get(pk=int(pk))  # type: ignore[call-overload]
        )
    except (Appointment.DoesNotExist, TypeError, ValueError):
        raise Http404("No such appointment.") from None
    if for_edit and not can_edit_appointment(user, appointment):
        raise PermissionDenied("This appointment is read-only for you.")
    return appointment
