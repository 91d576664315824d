"""Random and hostile input on the appointment forms and the cancel action: never a 500,
nothing half-saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pipeline.appointments.models import Appointment, AppointmentChange
from tests.hostile import OK, fuzz, hostile, ids

pytestmark = pytest.mark.django_db

times = st.one_of(hostile, st.sampled_from(["2031-03-04T09:30", "2031-03-04 09:30"]))


def _state():
    return (
        sorted(
            Appointment.objects.values_list(
                "pk", "kind", "starts_at", "duration_minutes", "place", "agenda", "status"
            )
        ),
        sorted(Appointment.contacts.through.objects.values_list("appointment_id", "contact_id")),
        AppointmentChange.objects.count(),
    )


@fuzz
@given(
    starts_at=times,
    kind=st.one_of(hostile, st.sampled_from(["call", "meeting", "demo"])),
    duration=st.one_of(hostile, st.integers(-5, 5000).map(str)),
    place=hostile,
    agenda=hostile,
    deal_id=ids,
    contact_id=ids,
)
def test_the_new_appointment_form(
    client, rep, deal, contact, starts_at, kind, duration, place, agenda, deal_id, contact_id
):
    client.force_login(rep)
    before = _state()
    response = client.post(
        reverse("pipeline:appointment_create", args=[deal.account_id]),
        {
            "starts_at": starts_at,
            "kind": kind,
            "duration_minutes": duration,
            "place": place,
            "agenda": agenda,
            "opportunity": deal_id or "",
            "contacts": [contact_id],
        },
    )
    assert response.status_code in OK
    after = _state()
    if response.status_code == 302:
        assert len(after[0]) == len(before[0]) + 1
    else:
        assert after == before
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(
    kind=hostile,
    duration=st.one_of(hostile, st.integers(-5, 5000).map(str)),
    place=hostile,
    agenda=hostile,
    deal_id=ids,
    contact_id=ids,
)
def test_the_edit_form(
    client, rep, appointment, kind, duration, place, agenda, deal_id, contact_id
):
    client.force_login(rep)
    before = _state()
    response = client.post(
        reverse("pipeline:appointment_edit", args=[appointment.pk]),
        {
            "kind": kind,
            "duration_minutes": duration,
            "place": place,
            "agenda": agenda,
            "opportunity": deal_id,
            "contacts": [contact_id],
        },
    )
    assert response.status_code in OK
    if response.status_code != 302:
        assert _state() == before


@fuzz
@given(starts_at=times, moved_by=st.one_of(hostile, st.sampled_from(["prospect", "us"])))
def test_the_reschedule_form(client, rep, appointment, starts_at, moved_by):
    client.force_login(rep)
    before = _state()
    response = client.post(
        reverse("pipeline:appointment_reschedule", args=[appointment.pk]),
        {"starts_at": starts_at, "moved_by": moved_by},
    )
    assert response.status_code in OK
    after = _state()
    if response.status_code == 302:
        assert after[2] == before[2] + 1
    else:
        assert after == before


@fuzz
@given(pk=ids)
def test_any_id_in_the_addresses(client, rep, appointment, pk):
    client.force_login(rep)
    for name in ("appointment_detail", "appointment_edit", "appointment_reschedule"):
        if pk.isascii() and pk.isdigit() and len(pk) < 19:
            assert client.get(reverse(f"pipeline:{name}", args=[int(pk)])).status_code in OK
    assert client.get(f"/appointments/{pk}/").status_code in OK
