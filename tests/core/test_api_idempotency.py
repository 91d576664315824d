"""Idempotency-Key on the API's creations: a retry gets the first answer and creates
nothing; a key reused for another request is refused; a creation that failed keeps nothing;
two requests with the same key at once create once."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import given

from pipeline.deals.models import Opportunity
from pipeline.followups.models import FollowUp
from prospects.api import views as prospect_api_views
from prospects.models import Conversation
from salesflow.core.api.models import IdempotencyKey
from tests.factories import AccountFactory, TeamFactory, UserFactory
from tests.hostile import fuzz, hostile
from tests.pipeline.conftest import standard  # noqa: F401  (the shipped pipeline)
from tests.prospects.api.conftest import assert_problem

PATH = "/api/v1/conversations/"


def post(client, path: str, body: object, key: str | None, **extra):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(
        path, json.dumps(body), content_type="application/json", headers=headers, **extra
    )


def call(account) -> dict:
    return {"account": account.pk, "channel": "call", "kind": "qualifying", "notes": "Heard it"}


@pytest.fixture
def account(rep):
    return AccountFactory(owner=rep)


@pytest.mark.django_db
def test_a_retry_with_the_same_key_gets_the_first_answer_and_creates_nothing(client, rep, account):
    client.force_login(rep)
    first = post(client, PATH, call(account), "8e03978e-40d5-43e8-bc93-6894a57f9324")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first.headers
    again = post(client, PATH, call(account), "8e03978e-40d5-43e8-bc93-6894a57f9324")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content  # byte for byte the first answer
    assert Conversation.objects.filter(account=account).count() == 1
    # The same body with its keys in another order and other spacing is the same request.
    reordered = json.dumps(dict(reversed(list(call(account).items()))), indent=2)
    response = client.post(
        PATH,
        reordered,
        content_type="application/json",
        headers={"Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"},
    )
    assert response.headers["Idempotent-Replayed"] == "true"
    # A new key is a new request.
    assert post(client, PATH, call(account), "another").status_code == 201
    assert Conversation.objects.filter(account=account).count() == 2


@pytest.mark.django_db
def test_without_a_key_every_request_creates(client, rep, account):
    client.force_login(rep)
    for _ in range(2):
        assert post(client, PATH, call(account), None).status_code == 201
    assert Conversation.objects.filter(account=account).count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_quoted_key_is_the_same_key(client, rep, account):
    """The draft spells the key as a structured-field string: "abc"."""
    client.force_login(rep)
    assert post(client, PATH, call(account), '"k-1"').status_code == 201
    assert post(client, PATH, call(account), "k-1").headers["Idempotent-Replayed"] == "true"
    assert Conversation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("standard")
def test_the_same_key_with_another_body_or_address_is_a_422(client, rep, account):
    client.force_login(rep)
    assert post(client, PATH, call(account), "k").status_code == 201
    other = {**call(account), "notes": "Something else"}
    body = assert_problem(post(client, PATH, other, "k"), 422)
    assert body["type"].endswith("/idempotency-key-reused")
    assert "another request" in body["detail"]
    body = assert_problem(post(client, "/api/v1/deals/", {"account": account.pk}, "k"), 422)
    assert Conversation.objects.count() == 1
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
def test_keys_are_each_users_own(client, rep, teammate, account):
    theirs = AccountFactory(owner=teammate)
    client.force_login(rep)
    assert post(client, PATH, call(account), "shared").status_code == 201
    client.force_login(teammate)
    response = post(client, PATH, call(theirs), "shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert Conversation.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there", "new\nline"])
def test_an_unfit_key_is_a_400_naming_the_header(client, rep, account, key):
    client.force_login(rep)
    response = client.generic(
        "POST",
        PATH,
        json.dumps(call(account)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    body = assert_problem(response, 400)
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_the_longest_key_is_taken(client, rep, account):
    client.force_login(rep)
    key = "~" * 255
    assert post(client, PATH, call(account), key).status_code == 201
    assert post(client, PATH, call(account), key).headers["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_refusal_is_not_kept_so_the_corrected_request_creates(client, rep, account):
    client.force_login(rep)
    empty = {"account": account.pk, "channel": "call", "kind": "qualifying"}
    assert_problem(post(client, PATH, empty, "k"), 400)  # nothing worth logging
    assert not IdempotencyKey.objects.exists()
    response = post(client, PATH, call(account), "k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert Conversation.objects.count() == 1


@pytest.mark.django_db
def test_a_creation_that_fails_keeps_nothing_and_the_retry_creates(rep, account, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(rep)
    real = prospect_api_views.conversation_log

    def fails_after_writing(**kwargs):
        real(**kwargs)  # the conversation is written, then the request fails
        raise RuntimeError("the database went away")

    monkeypatch.setattr(prospect_api_views, "conversation_log", fails_after_writing)
    assert post(client, PATH, call(account), "k").status_code == 500
    assert not Conversation.objects.exists()  # rolled back with the key
    assert not IdempotencyKey.objects.exists()
    monkeypatch.setattr(prospect_api_views, "conversation_log", real)
    response = post(client, PATH, call(account), "k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert Conversation.objects.count() == 1


@pytest.mark.django_db
def test_a_key_older_than_a_day_is_forgotten(client, rep, account):
    client.force_login(rep)
    assert post(client, PATH, call(account), "k").status_code == 201
    other_user = UserFactory(role="rep", team=TeamFactory())
    stale = IdempotencyKey.objects.create(
        user=other_user,
        key="old",
        method="POST",
        path=PATH,
        fingerprint="0" * 64,
        response_status=201,
        response_body="{}",
    )
    day_ago = timezone.now() - timedelta(hours=24, minutes=1)
    IdempotencyKey.objects.update(created_at=day_ago)
    response = post(client, PATH, call(account), "k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert Conversation.objects.count() == 2
    # Anyone's expired keys are cleared on the way; the fresh one is kept.
    assert not IdempotencyKey.objects.filter(pk=stale.pk).exists()
    assert IdempotencyKey.objects.get().created_at > day_ago


@pytest.mark.django_db
@pytest.mark.usefixtures("standard")
def test_a_deal_is_opened_once(client, rep, account):
    client.force_login(rep)
    body = {"account": account.pk, "name": "Patient flow", "value": "1200.00"}
    first = post(client, "/api/v1/deals/", body, "deal-1")
    assert first.status_code == 201, first.content
    again = post(client, "/api/v1/deals/", body, "deal-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Opportunity.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("standard")
def test_a_follow_up_is_planned_once(client, rep, account):
    client.force_login(rep)
    body = {
        "account": account.pk,
        "purpose": "Hear how the pilot plan sits with their finance lead.",
        "channel": "email",
        "draft": "Hello, following up on the pilot plan.",
    }
    first = post(client, "/api/v1/follow-ups/", body, "plan-1")
    assert first.status_code == 201, first.content
    again = post(client, "/api/v1/follow-ups/", body, "plan-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert FollowUp.objects.filter(account=account).count() == 1
    other = post(client, "/api/v1/follow-ups/", {**body, "channel": "call"}, "plan-1")
    assert other.status_code == 422
    assert FollowUp.objects.filter(account=account).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_the_same_key_at_once_create_once(rep, monkeypatch):
    """The second request's claim waits on the unique index for the first's commit, then
    replays its answer: one conversation, two identical answers."""
    account = AccountFactory(owner=rep)
    inside = threading.Event()
    real = prospect_api_views.conversation_log
    calls: list[int] = []

    def slow_log(**kwargs):
        calls.append(1)
        conversation = real(**kwargs)
        inside.set()
        # Hold the first transaction open (key claimed, conversation written, not yet
        # committed) long enough for the second request to arrive and wait.
        threading.Event().wait(1.0)
        return conversation

    monkeypatch.setattr(prospect_api_views, "conversation_log", slow_log)
    answers: dict[str, object] = {}

    def send(name: str) -> None:
        try:
            client = Client()
            client.force_login(rep)
            answers[name] = post(client, PATH, call(account), "race")
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=send, args=("second",))
    second.start()
    first.join(20)
    second.join(20)
    a, b = answers["first"], answers["second"]
    assert a.status_code == b.status_code == 201, (a.content, b.content)
    assert "Idempotent-Replayed" not in a.headers
    assert b.headers["Idempotent-Replayed"] == "true"
    assert a.json() == b.json()
    assert len(calls) == 1  # the second never reached the service
    assert Conversation.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
@fuzz
@given(key=hostile)
def test_a_hostile_key_is_never_a_500(client, rep, account, key):
    client.force_login(rep)
    before = Conversation.objects.count()
    response = client.generic(
        "POST",
        PATH,
        json.dumps(call(account)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code in {201, 400}, response.content[:300]
    if response.status_code == 400:
        assert list(response.json()["errors"]) == ["Idempotency-Key"]
        assert Conversation.objects.count() == before


@pytest.mark.django_db
def test_a_script_with_a_token_retries_safely(rep, account):
    """An integration's retry, as it happens: a token, no CSRF, the same key."""
    from salesflow.core.apitokens.services import apitoken_create

    _, secret = apitoken_create(actor=rep, name="Web form")
    client = Client(enforce_csrf_checks=True)
    auth = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "form-submission-77"}
    for _ in range(3):
        response = client.post(
            PATH, json.dumps(call(account)), content_type="application/json", headers=auth
        )
        assert response.status_code == 201, response.content
    assert response.headers["Idempotent-Replayed"] == "true"
    assert Conversation.objects.count() == 1
