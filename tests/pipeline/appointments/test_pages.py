"""The appointment pages: who may open and change them (owner and manager change, a teammate
reads, an outsider finds nothing), what the forms save, and the lists on the account, deal
and home pages at a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pipeline.appointments import services as appointment_services
from pipeline.appointments.models import Appointment, AppointmentChange
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _pages(appointment):
    return {
        "detail": reverse("pipeline:appointment_detail", args=[appointment.pk]),
        "edit": reverse("pipeline:appointment_edit", args=[appointment.pk]),
        "reschedule": reverse("pipeline:appointment_reschedule", args=[appointment.pk]),
        "new": reverse("pipeline:appointment_create", args=[appointment.account_id]),
    }


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("rep", 200, 200),
        ("manager", 200, 200),
        ("teammate", 200, 403),
        ("outsider", 404, 404),
    ],
)
def test_who_may_open_and_change_it(client, request, appointment, who, read, write):
    client.force_login(request.getfixturevalue(who))
    pages = _pages(appointment)
    assert client.get(pages["detail"]).status_code == read
    for name in ("edit", "reschedule", "new"):
        assert client.get(pages[name]).status_code == write, name
    cancel = reverse("pipeline:appointment_cancel", args=[appointment.pk])
    assert client.post(cancel).status_code == (302 if write == 200 else write)
    expected = "cancelled" if write == 200 else "planned"
    assert Appointment.objects.get(pk=appointment.pk).status == expected


def test_a_rep_plans_one_from_the_deal_page(client, rep, account, deal, contact):
    client.force_login(rep)
    deal_page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk])).content.decode()
    new_url = reverse("pipeline:appointment_create", args=[account.pk]) + f"?deal={deal.pk}"
    assert new_url in deal_page
    form = client.get(new_url).content.decode()
    assert f'<option value="{deal.pk}" selected>' in form
    starts = timezone.now() + timedelta(days=1)
    response = client.post(
        new_url,
        {
            "starts_at": _local(starts),
            "kind": "meeting",
            "duration_minutes": "60",
            "place": "Their boardroom, 3rd floor",
            "agenda": "Walk through the pilot plan",
            "opportunity": deal.pk,
            "contacts": [contact.pk],
        },
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:appointment_detail", args=[appointment.pk])
    assert (appointment.kind, appointment.duration_minutes) == ("meeting", 60)
    assert appointment.opportunity == deal
    assert list(appointment.contacts.all()) == [contact]
    assert _local(appointment.starts_at) == _local(starts)
    for page in (
        reverse("pipeline:opportunity_detail", args=[deal.pk]),
        reverse("prospects:account_detail", args=[account.pk]),
        reverse("home"),
    ):
        html = client.get(page).content.decode()
        assert reverse("pipeline:appointment_detail", args=[appointment.pk]) in html, page


def test_a_time_already_past_or_another_accounts_contact_is_refused(client, rep, account, contact):
    client.force_login(rep)
    stranger = ContactFactory()
    url = reverse("pipeline:appointment_create", args=[account.pk])
    response = client.post(
        url,
        {
            "starts_at": _local(timezone.now() - timedelta(hours=2)),
            "kind": "call",
            "duration_minutes": "30",
            "contacts": [stranger.pk],
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "has not passed yet" in html
    assert "Select a valid choice" in html
    assert not Appointment.objects.exists()


def test_moving_it_shows_the_old_time_and_who_moved_it(client, rep, appointment):
    client.force_login(rep)
    new = appointment.starts_at + timedelta(days=3)
    response = client.post(
        reverse("pipeline:appointment_reschedule", args=[appointment.pk]),
        {"starts_at": _local(new), "moved_by": "us"},
    )
    assert response.status_code == 302
    change = AppointmentChange.objects.get()
    assert change.moved_by == "us"
    html = client.get(reverse("pipeline:appointment_detail", args=[appointment.pk])).content
    assert "Moved by us" in html.decode()


def test_a_cancelled_or_past_appointment_leaves_the_upcoming_lists(client, rep, appointment):
    client.force_login(rep)
    link = reverse("pipeline:appointment_detail", args=[appointment.pk])
    assert link in client.get(reverse("home")).content.decode()
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() - timedelta(days=1)
    )
    assert link not in client.get(reverse("home")).content.decode()
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() + timedelta(days=1), status="cancelled"
    )
    assert link not in client.get(reverse("home")).content.decode()


def _plan(rep, account, deal, contacts, n):
    for i in range(n):
        appointment_services.appointment_create(
            actor=rep,
            account=account,
            opportunity=deal,
            contacts=contacts,
            starts_at=timezone.now() + timedelta(hours=1 + i),
        )


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["home", "deal", "account"])
def test_the_lists_cost_the_same_queries_for_one_or_many(
    client, rep, account, deal, page, django_assert_num_queries
):
    url = {
        "home": reverse("home"),
        "deal": reverse("pipeline:opportunity_detail", args=[deal.pk]),
        "account": reverse("prospects:account_detail", args=[account.pk]),
    }[page]
    client.force_login(rep)
    contacts = [ContactFactory(account=account) for _ in range(3)]
    _plan(rep, account, deal, contacts[:1], 1)
    baseline = _count(client, url)
    # Two queries for the list (the appointments, their contacts) whatever its length.
    _plan(rep, account, deal, contacts, 12)
    with django_assert_num_queries(baseline):
        client.get(url)
    with django_assert_num_queries(baseline):
        client.get(url)


def test_the_lists_add_two_queries_to_a_page(client, rep, account, deal):
    client.force_login(rep)
    url = reverse("home")
    before = _count(client, url)
    _plan(rep, account, deal, [ContactFactory(account=account)], 2)
    assert _count(client, url) == before + 1  # the contacts' prefetch, once there is a row


def test_after_it_starts_log_how_it_went_opens_the_conversation_form_filled_in(
    client, rep, teammate, appointment, contact
):
    started = timezone.now() - timedelta(minutes=50)
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=started)
    client.force_login(rep)
    page = client.get(reverse("pipeline:appointment_detail", args=[appointment.pk]))
    log_url = page.context["log_url"]
    assert "Log how it went" in page.content.decode()
    form_page = client.get(log_url)
    assert form_page.status_code == 200
    form = form_page.context["conversation_form"]
    assert form.initial["channel"] == "meeting"  # a demo is logged as a meeting
    assert form.initial["contacts"] == [contact.pk]
    assert _local(form.initial["occurred_at"]) == _local(started)
    html = form_page.content.decode()
    assert f'name="contacts" value="{contact.pk}"  id="id_contacts_0" checked' in html
    assert 'name="when_given" value="True"' in html

    # Sent as shown, the time is the appointment's, not the moment of logging.
    data = {
        "occurred_at": _local(started),
        "initial-occurred_at": _local(started),
        "when_given": "True",
        "channel": "meeting",
        "kind": "solution_development",
        "notes": "They want the pilot on two wards.",
        "contacts": [contact.pk],
        "has_problem": "unknown",
        "accepts_significance": "unknown",
        "ready_to_act": "unknown",
    }
    response = client.post(log_url.split("?")[0], data)
    assert response.status_code == 302, response.context["conversation_form"].errors
    conversation = appointment.account.conversations.get()
    assert _local(conversation.occurred_at) == _local(started)
    assert list(conversation.contacts.all()) == [contact]

    client.force_login(teammate)
    page = client.get(reverse("pipeline:appointment_detail", args=[appointment.pk]))
    assert page.context["log_url"] is None


def test_before_it_starts_there_is_nothing_to_log(client, rep, appointment):
    client.force_login(rep)
    page = client.get(reverse("pipeline:appointment_detail", args=[appointment.pk]))
    assert page.context["log_url"] is None
    assert "Log how it went" not in page.content.decode()
