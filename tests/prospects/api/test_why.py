"""An account's why through the API: read (current and history) by whoever sees the
account, recorded as a new version through why_record by whoever may change it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from prospects import services
from prospects.models import AccountEvent, WhyNote
from tests.factories import AccountFactory, ContactFactory
from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db


def path(account) -> str:
    return f"/api/v1/accounts/{account.pk}/why/"


def send(client, account, body: object):
    return client.post(path(account), json.dumps(body), content_type="application/json")


def test_an_account_without_a_why(client, rep, account):
    client.force_login(rep)
    assert client.get(path(account)).json() == {"current": None, "history": []}


def test_a_why_recorded_is_the_current_one_and_the_old_one_stays(client, rep, account, contact):
    client.force_login(rep)
    first = send(client, account, {"text": "Trolley waits", "said_on": "2026-11-20"})
    assert first.status_code == 201, first.content
    response = send(
        client, account, {"text": "  The board wants no trolley waits  ", "said_by": contact.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["text"] == "The board wants no trolley waits"
    assert body["said_by"] == {"id": contact.pk, "name": contact.name}
    assert body["said_on"] == timezone.localdate().isoformat()  # today when left out
    assert body["recorded_by"]["id"] == rep.pk
    read = client.get(path(account)).json()
    assert read["current"] == body
    assert [note["text"] for note in read["history"]] == [
        "The board wants no trolley waits",
        "Trolley waits",
    ]
    assert AccountEvent.objects.filter(account=account, kind=AccountEvent.Kind.WHY).count() == 2


def test_the_same_why_sent_again_records_nothing_new(client, rep, account):
    client.force_login(rep)
    body = {"text": "Trolley waits", "said_on": "2026-11-20"}
    first = send(client, account, body)
    assert first.status_code == 201
    again = send(client, account, body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert WhyNote.objects.count() == 1


def test_who_may_read_and_record(client, rep, teammate, manager, sales_ops, outsider, account):
    services.why_record(actor=rep, account=account, text="Trolley waits", said_on=date.today())
    for user in (rep, teammate, manager, sales_ops):
        client.force_login(user)
        assert client.get(path(account)).json()["current"]["text"] == "Trolley waits"
    client.force_login(outsider)
    assert_problem(client.get(path(account)), 404)
    assert_problem(send(client, account, {"text": "Outsider's"}), 404)
    client.force_login(teammate)
    assert_problem(send(client, account, {"text": "Teammate's"}), 403)
    assert WhyNote.objects.count() == 1
    for user in (rep, manager, sales_ops):
        client.force_login(user)
        response = send(client, account, {"text": f"{user.first_name}'s"})
        assert response.status_code == 201, response.content
    assert WhyNote.objects.count() == 4
    client.logout()
    assert_problem(client.get(path(account)), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": "  "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "ok", "said_on": "2000-02-30"}, "said_on"),
        ({"text": "ok", "said_on": "1999-12-31"}, "said_on"),
        ({"text": "ok", "said_on": (date.today() + timedelta(days=2)).isoformat()}, "said_on"),
        ({"text": "ok", "said_by": 2**63}, "said_by"),
        ({"text": "ok", "said_by": "someone"}, "said_by"),
    ],
)
def test_refused_input_is_a_400_naming_the_field(client, rep, account, body, field):
    client.force_login(rep)
    problem = assert_problem(send(client, account, body), 400)
    assert list(problem["errors"]) == [field]
    assert not WhyNote.objects.exists()


def test_the_contact_must_be_the_accounts(client, rep, account):
    stranger = ContactFactory(account=AccountFactory(owner=rep))
    client.force_login(rep)
    problem = assert_problem(send(client, account, {"text": "ok", "said_by": stranger.pk}), 400)
    assert list(problem["errors"]) == ["said_by"]
    assert not WhyNote.objects.exists()


def check(response) -> None:
    assert response.status_code in {200, 201, 400, 404}, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM
        if response.status_code == 400:
            assert response.json()["errors"]


@fuzz
@given(pk=hostile_ids)
def test_hostile_ids_never_500(client, rep, account, pk):
    client.force_login(rep)
    check(client.get(f"/api/v1/accounts/{quote(pk, safe='')}/why/"))


values = st.one_of(hostile, st.integers(min_value=-(2**65), max_value=2**65), st.none())


@fuzz
@given(body=st.dictionaries(st.sampled_from(["text", "said_by", "said_on"]), values, max_size=3))
def test_hostile_bodies_never_500(client, rep, account, body):
    client.force_login(rep)
    before = WhyNote.objects.count()
    response = send(client, account, body)
    check(response)
    if response.status_code >= 400:
        assert WhyNote.objects.count() == before
