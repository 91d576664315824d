"""Planning, editing, moving and cancelling an appointment through its services: who may,
what is refused, and that a move keeps the old time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pipeline.appointments import services as appointment_services
from pipeline.appointments.models import Appointment, AppointmentChange
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_the_account_owner_holds_it_whoever_plans_it(manager, rep, account, contact):
    appointment = appointment_services.appointment_create(
        actor=manager,
        account=account,
        contacts=[contact],
        starts_at=timezone.now() + timedelta(hours=3),
    )
    assert appointment.owner == rep
    assert appointment.created_by == manager
    assert appointment.status == Appointment.Status.PLANNED
    assert list(appointment.contacts.all()) == [contact]


def test_a_teammate_or_outsider_may_not_plan_one(teammate, outsider, account):
    for user in (teammate, outsider):
        with pytest.raises(PermissionDenied):
            appointment_services.appointment_create(
                actor=user, account=account, starts_at=timezone.now() + timedelta(hours=1)
            )
    assert not Appointment.objects.exists()


def test_another_accounts_contact_or_deal_is_refused_and_nothing_is_saved(rep, account, deal):
    elsewhere = AccountFactory(owner=rep)
    with pytest.raises(ValidationError, match="this account's contacts"):
        appointment_services.appointment_create(
            actor=rep,
            account=elsewhere,
            contacts=[ContactFactory(account=account)],
            starts_at=timezone.now() + timedelta(hours=1),
        )
    with pytest.raises(ValidationError, match="another account"):
        appointment_services.appointment_create(
            actor=rep,
            account=elsewhere,
            opportunity=deal,
            starts_at=timezone.now() + timedelta(hours=1),
        )
    assert not Appointment.objects.exists()


def test_a_naive_start_is_a_programming_error(rep, account):
    with pytest.raises(ValueError, match="aware"):
        appointment_services.appointment_create(
            actor=rep, account=account, starts_at=datetime(2030, 1, 1, 10, 0)
        )


def test_a_move_keeps_the_old_time_and_who_asked_for_it(rep, appointment):
    old = appointment.starts_at
    Appointment.objects.filter(pk=appointment.pk).update(reminded_at=timezone.now())
    new = old + timedelta(days=1)
    moved = appointment_services.appointment_reschedule(
        actor=rep, appointment=appointment, starts_at=new, moved_by="prospect"
    )
    assert moved.starts_at == new
    stored = Appointment.objects.get(pk=appointment.pk)
    assert stored.starts_at == new
    assert stored.reminded_at is None  # the new time earns its own reminder
    [change] = AppointmentChange.objects.filter(appointment=appointment)
    assert (change.old_starts_at, change.new_starts_at) == (old, new)
    assert change.get_moved_by_display() == "Moved by the prospect"
    assert change.by == rep


def test_a_move_is_refused_to_a_teammate_to_the_same_time_or_without_who(
    rep, teammate, appointment
):
    later = appointment.starts_at + timedelta(hours=1)
    with pytest.raises(PermissionDenied):
        appointment_services.appointment_reschedule(
            actor=teammate, appointment=appointment, starts_at=later, moved_by="us"
        )
    with pytest.raises(ValidationError, match="already has"):
        appointment_services.appointment_reschedule(
            actor=rep, appointment=appointment, starts_at=appointment.starts_at, moved_by="us"
        )
    with pytest.raises(ValidationError, match="Say who"):
        appointment_services.appointment_reschedule(
            actor=rep, appointment=appointment, starts_at=later, moved_by="them"
        )
    assert not AppointmentChange.objects.exists()


def test_cancelling_is_final(rep, appointment):
    appointment_services.appointment_cancel(actor=rep, appointment=appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    with pytest.raises(ValidationError, match="Only a planned"):
        appointment_services.appointment_cancel(actor=rep, appointment=appointment)
    with pytest.raises(ValidationError, match="Only a planned"):
        appointment_services.appointment_reschedule(
            actor=rep,
            appointment=appointment,
            starts_at=appointment.starts_at + timedelta(hours=1),
            moved_by="us",
        )
    with pytest.raises(ValidationError, match="Only a planned"):
        appointment_services.appointment_update(
            actor=rep, appointment=appointment, agenda="Too late"
        )


def test_editing_changes_the_details_and_the_people(rep, teammate, account, appointment):
    other = ContactFactory(account=account, name="Ward sister Ann")
    appointment_services.appointment_update(
        actor=rep, appointment=appointment, contacts=[other], agenda="Pilot scope", kind="meeting"
    )
    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.agenda, stored.kind) == ("Pilot scope", "meeting")
    assert list(stored.contacts.all()) == [other]
    with pytest.raises(PermissionDenied):
        appointment_services.appointment_update(
            actor=teammate, appointment=appointment, agenda="Mine now"
        )
    with pytest.raises(ValidationError, match="this account's contacts"):
        appointment_services.appointment_update(
            actor=rep, appointment=appointment, contacts=[ContactFactory()]
        )
    assert Appointment.objects.get(pk=appointment.pk).agenda == "Pilot scope"
