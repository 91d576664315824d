"""A planned appointment still to come on a deal means the deal is not stuck: the prospect
has agreed to a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.appointments import services as appointment_services
from pipeline.appointments.models import Appointment
from pipeline.deals import selectors as deal_selectors
from pipeline.deals import services as deal_services
from pipeline.deals.models import Opportunity, StageChange

pytestmark = pytest.mark.django_db


def idle(deal, days):
    """Pretend the deal entered its stage `days` ago (and was created then)."""
    then = timezone.now() - timedelta(days=days)
    StageChange.objects.filter(opportunity=deal).update(at=then)
    Opportunity.objects.filter(pk=deal.pk).update(created_at=then)


def stuck_ids():
    stuck = deal_selectors.stuck_opportunities(Opportunity.objects.all())
    return set(stuck.values_list("pk", flat=True))


def _plan(rep, deal, *, in_hours):
    return appointment_services.appointment_create(
        actor=rep,
        account=deal.account,
        opportunity=deal,
        starts_at=timezone.now() + timedelta(hours=in_hours),
    )


def test_a_planned_appointment_ahead_keeps_an_idle_deal_from_being_stuck(client, rep, deal):
    idle(deal, 30)
    assert stuck_ids() == {deal.pk}
    appointment = _plan(rep, deal, in_hours=48)
    assert stuck_ids() == set()
    assert deal_services.opportunities_mark_stuck() == (0, 0)
    client.force_login(rep)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    assert page.context["activity"]["is_stuck"] is False

    # Cancelled, it no longer counts.
    appointment_services.appointment_cancel(actor=rep, appointment=appointment)
    assert stuck_ids() == {deal.pk}


def test_an_appointment_already_past_or_on_the_account_alone_does_not_count(rep, deal):
    idle(deal, 30)
    appointment = _plan(rep, deal, in_hours=2)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() - timedelta(hours=1)
    )
    assert deal.pk in stuck_ids()
    # An appointment on the account alone (no deal) leaves the deal's own rule alone.
    appointment_services.appointment_create(
        actor=rep, account=deal.account, starts_at=timezone.now() + timedelta(days=1)
    )
    assert deal.pk in stuck_ids()


def test_a_deal_found_stuck_leaves_today_once_an_appointment_is_planned(rep, deal):
    idle(deal, 30)
    assert deal_services.opportunities_mark_stuck() == (1, 0)
    assert [d.pk for d in deal_selectors.stuck_for_owner(user=rep)] == [deal.pk]
    _plan(rep, deal, in_hours=24)
    assert deal_selectors.stuck_for_owner(user=rep) == []
    assert (
        Opportunity.objects.filter(deal_selectors.found_stuck_condition(now=timezone.now())).count()
        == 0
    )
