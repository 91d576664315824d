"""Conversations through the API: logged through conversation_log with the form's rules,
read by whoever sees the account, listed in keyset pages that hold still while rows are
added, with a query count that does not grow with the page, and never a 500."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from prospects.models import Account, AccountEvent, Conversation, FacilitativeQuestion
from tests.factories import AccountFactory, ContactFactory, TeamFactory, UserFactory
from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db

PATH = "/api/v1/conversations/"


def send(client, body: object, path: str = PATH):
    return client.post(path, json.dumps(body), content_type="application/json")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def question(db):
    return FacilitativeQuestion.objects.create(kind="qualifying", text="What happens if nothing?")


def test_a_rep_logs_a_conversation_as_the_form_does(client, rep, account, contact, question):
    client.force_login(rep)
    when = timezone.now() - timedelta(hours=2)
    response = send(
        client,
        {
            "account": account.pk,
            "occurred_at": when.isoformat(),
            "channel": "meeting",
            "kind": "qualifying",
            "contacts": [contact.pk],
            "questions_asked": [question.pk],
            "notes": "Monday discharges slip.",
            "emotion_found": "Embarrassed in front of the board.",
            "has_problem": "yes",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    conversation = Conversation.objects.get(pk=body["id"])
    assert (conversation.logged_by, conversation.account) == (rep, account)
    assert conversation.occurred_at == when
    assert list(conversation.contacts.all()) == [contact]
    assert list(conversation.questions_asked.all()) == [question]
    assert body["contacts"] == [contact.pk]
    assert body["questions_asked"] == [question.pk]
    assert body["logged_by"]["id"] == rep.pk
    assert body["has_problem"] == "yes"
    assert body["ready_to_act"] == "unknown"
    # The service's work, as for the form: the readiness answer moved on, on the timeline.
    account.refresh_from_db()
    assert account.has_problem == "yes"
    assert AccountEvent.objects.filter(conversation=conversation).exists()
    # Read back, it is the same.
    read = client.get(f"{PATH}{conversation.pk}/").json()
    assert read == body


def test_when_is_now_when_left_out(client, rep, account):
    client.force_login(rep)
    before = timezone.now()
    response = send(
        client, {"account": account.pk, "channel": "call", "kind": "other", "notes": "Hi"}
    )
    assert response.status_code == 201, response.content
    assert Conversation.objects.get().occurred_at >= before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"notes": ""}, "non_field_errors"),  # nothing worth logging
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),  # not yet happened
        ({"occurred_at": "1999-12-31T00:00:00Z"}, "occurred_at"),  # too long ago
        ({"occurred_at": "2026-12-01T10:00:00"}, "occurred_at"),  # no offset
        ({"channel": "pigeon"}, "channel"),
        ({"kind": ""}, "kind"),
        ({"has_problem": "maybe"}, "has_problem"),
        ({"contacts": [2**63]}, "contacts"),
        ({"contacts": "1"}, "contacts"),
        ({"questions_asked": [999_999]}, "questions_asked"),
        ({"account": 999_999}, "account"),
        ({"notes": "x" * 10_001}, "notes"),
        ({"notes": "\x00"}, "notes"),
    ],
)
def test_refused_input_is_a_400_naming_the_field_and_saves_nothing(
    client, rep, account, changes, field
):
    client.force_login(rep)
    body = {"account": account.pk, "channel": "call", "kind": "qualifying", "notes": "Hi"}
    problem = assert_problem(send(client, {**body, **changes}), 400)
    # A list's item is named by its place: contacts.0
    assert [name.split(".")[0] for name in problem["errors"]] == [field], problem
    assert not Conversation.objects.exists()
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.CONVERSATION).exists()


def test_contacts_and_questions_must_fit_the_account_and_the_kind(
    client, rep, account, question, other_account
):
    client.force_login(rep)
    stranger = ContactFactory(account=AccountFactory(owner=rep))
    base = {"account": account.pk, "channel": "call", "kind": "qualifying", "notes": "Hi"}
    problem = assert_problem(send(client, {**base, "contacts": [stranger.pk]}), 400)
    assert list(problem["errors"]) == ["contacts"]
    problem = assert_problem(
        send(client, {**base, "kind": "decision", "questions_asked": [question.pk]}), 400
    )
    assert list(problem["errors"]) == ["questions_asked"]
    assert not Conversation.objects.exists()


def test_who_may_log_and_read(client, rep, teammate, manager, sales_ops, outsider, account, log):
    logged = log(account)
    body = {"account": account.pk, "channel": "call", "kind": "qualifying", "notes": "Hi"}
    # Everyone of the team, and sales ops, reads it; an outsider gets 404 and an empty list.
    for user in (rep, teammate, manager, sales_ops):
        client.force_login(user)
        assert client.get(f"{PATH}{logged.pk}/").json()["id"] == logged.pk
        assert logged.pk in ids(client.get(PATH))
    client.force_login(outsider)
    assert_problem(client.get(f"{PATH}{logged.pk}/"), 404)
    assert ids(client.get(PATH)) == []
    # Logging: the teammate's account is read-only for a rep (403), as on its page; an
    # account out of reach is not one (400 naming it, as for a contact).
    client.force_login(teammate)
    assert_problem(send(client, body), 403)
    client.force_login(outsider)
    problem = assert_problem(send(client, body), 400)
    assert list(problem["errors"]) == ["account"]
    assert Conversation.objects.count() == 1
    for user in (rep, manager, sales_ops):
        client.force_login(user)
        assert send(client, body).status_code == 201
    assert Conversation.objects.count() == 4


def test_signed_out_is_401(client, account, log):
    logged = log(account)
    assert_problem(client.get(PATH), 401)
    assert_problem(client.get(f"{PATH}{logged.pk}/"), 401)
    assert_problem(send(client, {}), 401)


def test_filters(client, rep, teammate, sales_ops, account, log):
    theirs = AccountFactory(owner=teammate)
    elsewhere = AccountFactory(owner=UserFactory(role="rep", team=TeamFactory()))
    a = log(account, kind="qualifying")
    b = log(theirs, kind="decision", actor=teammate)
    c = log(elsewhere, kind="qualifying", actor=sales_ops)
    client.force_login(sales_ops)
    assert ids(client.get(PATH)) == [a.pk, b.pk, c.pk]  # in the order they were logged
    assert ids(client.get(PATH, {"account": theirs.pk})) == [b.pk]
    assert ids(client.get(PATH, {"owner": rep.pk})) == [a.pk]
    assert ids(client.get(PATH, {"team": rep.team_id})) == [a.pk, b.pk]
    assert ids(client.get(PATH, {"logged_by": sales_ops.pk})) == [c.pk]
    assert ids(client.get(PATH, {"kind": "qualifying"})) == [a.pk, c.pk]
    Conversation.objects.filter(pk=a.pk).update(created_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(client.get(PATH, {"created_since": since})) == [b.pk, c.pk]
    # A filter never widens what a user sees.
    client.force_login(rep)
    assert ids(client.get(PATH, {"team": elsewhere.owner.team_id})) == []
    for bad in ({"kind": "chat"}, {"created_since": "yesterday"}, {"account": "x"}):
        assert_problem(client.get(PATH, bad), 400)


def test_pages_walk_every_conversation_once_while_more_are_logged(client, rep, account, log):
    existing = {log(account).pk for _ in range(9)}
    client.force_login(rep)
    seen: list[int] = []
    response = client.get(PATH, {"page_size": 2})
    while True:
        seen += ids(response)
        log(account)  # logged between two pages
        if not response.json()["next"] or len(seen) > 100:
            break
        response = client.get(response.json()["next"])
    assert len(seen) == len(set(seen)), "a conversation came twice"
    assert existing <= set(seen), "a conversation there from the start was skipped"


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_query_count_is_pinned_and_flat(
    client, rep, teammate, question, django_assert_max_num_queries, log
):
    client.force_login(rep)

    def grow(count: int) -> None:
        for n in range(count):
            account = AccountFactory(owner=rep if n % 2 else teammate)
            contact = ContactFactory(account=account)
            log(account, contacts=[contact], questions_asked=[question], actor=account.owner)

    grow(3)
    small = _queries(client, PATH)
    grow(40)
    with django_assert_max_num_queries(small):
        large = _queries(client, PATH + "?page_size=40")
    assert small == large
    # The session, the user, the page (who logged it joined in), its contacts, its questions.
    assert small == 5


PARAMS = ["account", "owner", "team", "logged_by", "kind", "created_since", "cursor", "page_size"]


def check(response) -> None:
    assert response.status_code in {200, 201, 400, 403, 404}, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM
        body = response.json()
        assert body["status"] == response.status_code
        if response.status_code == 400:
            assert body["errors"], body


@fuzz
@given(params=st.dictionaries(st.sampled_from(PARAMS), hostile, max_size=4))
def test_hostile_query_strings_never_500(client, rep, account, params):
    client.force_login(rep)
    check(client.get(PATH, params))


@fuzz
@given(pk=hostile_ids)
def test_hostile_ids_never_500(client, rep, account, pk):
    client.force_login(rep)
    check(client.get(f"{PATH}{quote(pk, safe='')}/"))


FIELDS = [
    "account",
    "occurred_at",
    "channel",
    "kind",
    "contacts",
    "questions_asked",
    "notes",
    "emotion_found",
    "has_problem",
    "accepts_significance",
    "ready_to_act",
]
values = st.one_of(
    hostile,
    st.integers(min_value=-(2**65), max_value=2**65),
    st.lists(st.one_of(hostile, st.integers(min_value=-(2**65), max_value=2**65)), max_size=3),
    st.none(),
    st.booleans(),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


@fuzz
@given(body=st.dictionaries(st.sampled_from(FIELDS), values, max_size=6))
def test_hostile_bodies_never_500_and_save_nothing_half(client, rep, account, body):
    client.force_login(rep)
    before = Conversation.objects.count()
    response = send(client, {"account": account.pk, **body})
    check(response)
    if response.status_code != 201:
        assert Conversation.objects.count() == before
        assert Account.objects.get(pk=account.pk).has_problem == account.has_problem


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"[]", b'"x"', b"null"])
def test_a_body_that_cannot_be_read_is_a_problem(client, rep, body):
    client.force_login(rep)
    response = client.post(PATH, body, content_type="application/json")
    assert_problem(response, 400)


def test_an_erased_contact_is_scrubbed_from_the_kept_answer_too(client, rep, sales_ops, contact):
    """A creation's answer kept for its retries quotes what was logged: erasing the person
    scrubs it there as well, and a retry still gets the (scrubbed) answer, not a new row."""
    from prospects.privacy.services import contact_erase
    from salesflow.core.models import IdempotencyKey

    client.force_login(rep)
    body = {
        "account": contact.account_id,
        "channel": "call",
        "kind": "qualifying",
        "notes": f"{contact.name} says Mondays are the worst.",
    }
    headers = {"Idempotency-Key": "erase-me"}
    first = client.post(PATH, json.dumps(body), content_type="application/json", headers=headers)
    assert first.status_code == 201
    assert contact.name in IdempotencyKey.objects.get().response_body
    contact_erase(actor=sales_ops, contact=contact, confirmation=contact.name)
    assert contact.name not in IdempotencyKey.objects.get().response_body
    again = client.post(PATH, json.dumps(body), content_type="application/json", headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["notes"] == "[erased] says Mondays are the worst."
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-12-01T10:00Z"]
)
def test_moments_at_the_edge_of_the_calendar_are_refused_or_read(client, rep, account, moment):
    client.force_login(rep)
    listed = client.get(PATH, {"created_since": moment})
    assert listed.status_code in {200, 400}
    body = {"account": account.pk, "channel": "call", "kind": "other", "notes": "Hi"}
    created = send(client, {**body, "occurred_at": moment})
    assert created.status_code in {201, 400}
    if created.status_code == 400:
        assert list(created.json()["errors"]) == ["occurred_at"]
