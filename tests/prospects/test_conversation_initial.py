"""What a link may fill in on the conversation form, and what it may not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from prospects.forms import conversation_initial
from tests.hostile import fuzz, hostile


def test_a_link_fills_in_kind_channel_contacts_and_a_past_time():
    query = QueryDict(mutable=True)
    query.update({"kind": "decision", "channel": "meeting", "occurred_at": "2026-03-04T09:30"})
    query.setlist("contacts", ["4", "nope", "7"])
    initial = conversation_initial(query)
    assert initial["kind"] == "decision"
    assert initial["channel"] == "meeting"
    assert initial["contacts"] == [4, 7]
    assert timezone.localtime(initial["occurred_at"]).strftime("%H:%M") == "09:30"
    assert initial["when_given"] is True


def test_a_time_to_come_or_unknown_values_are_left_out():
    later = timezone.localtime() + timedelta(days=1)
    query = QueryDict(mutable=True)
    query.update(
        {"kind": "gossip", "channel": "pigeon", "occurred_at": later.strftime("%Y-%m-%dT%H:%M")}
    )
    assert conversation_initial(query) == {}


@fuzz
@given(kind=hostile, channel=hostile, when=hostile, contacts=st.lists(hostile, max_size=3))
def test_any_query_gives_a_readable_initial(kind, channel, when, contacts):
    query = QueryDict(mutable=True)
    query.update({"kind": kind, "channel": channel, "occurred_at": when})
    query.setlist("contacts", contacts)
    initial = conversation_initial(query)
    assert set(initial) <= {"kind", "channel", "contacts", "occurred_at", "when_given"}


@pytest.mark.django_db
@fuzz
@given(kind=hostile, channel=hostile, when=hostile, contact=hostile)
def test_the_form_opens_whatever_the_link_says(client, rep, kind, channel, when, contact):
    from django.urls import reverse

    from tests.factories import AccountFactory

    client.force_login(rep)
    account = AccountFactory(owner=rep)
    response = client.get(
        reverse("prospects:conversation_create", args=[account.pk]),
        {"kind": kind, "channel": channel, "occurred_at": when, "contacts": contact},
    )
    assert response.status_code == 200
