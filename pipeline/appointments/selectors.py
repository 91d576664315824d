"""Every read of appointments, built for the page that asks."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from pipeline.appointments.models import Appointment, AppointmentChange
from pipeline.deals.models import Opportunity
from prospects.models import Account, Contact
from salesflow.core.models import User

# Lists show the next few; the rest wait their turn (these lists are short by nature, and a
# slice keeps them from ever counting a table).
UPCOMING_SHOWN = 10

# An appointment stays on the upcoming lists for a while after it starts, so "Log how it
# went" is one click away on the day.
STILL_SHOWN_AFTER = timedelta(hours=12)


def _upcoming(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    since = timezone.now() - STILL_SHOWN_AFTER
    return (
        queryset.filter(status=Appointment.Status.PLANNED, starts_at__gte=since)
        .select_related("account", "opportunity")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("name", "pk")))
        .order_by("starts_at", "pk")
    )


def upcoming_for_owner(*, user: User) -> list[Appointment]:
    return list(_upcoming(Appointment.objects.filter(owner=user))[:UPCOMING_SHOWN])


def upcoming_for_deal(*, opportunity: Opportunity) -> list[Appointment]:
    return list(_upcoming(Appointment.objects.filter(opportunity=opportunity))[:UPCOMING_SHOWN])


def upcoming_for_account(*, account: Account) -> list[Appointment]:
    return list(_upcoming(Appointment.objects.filter(account=account))[:UPCOMING_SHOWN])


def appointment_changes(*, appointment: Appointment) -> QuerySet[AppointmentChange]:
    return appointment.changes.select_related("by")
