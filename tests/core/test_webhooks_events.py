"""Events are written to the outbox in the transaction of the change: one row per
subscribed endpoint, carrying the API representation, nothing for a rolled-back change, and
one query when nobody listens (most installs)."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from prospects import services as prospect_services
from prospects.api.serializers import AccountSerializer, ContactSerializer
from prospects.models import Account, Contact
from salesflow.core.models import OutboxMessage, WebhookEndpoint
from salesflow.core.webhooks import delivery, events
from salesflow.core.webhooks.events import webhook_event, webhook_events_bulk
from tests.factories import AccountFactory, UserFactory


@pytest.fixture(autouse=True)
def _no_sender_asked(monkeypatch):
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: None)


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops")


def _endpoint(ops, events: list[str], status: str = "active", url: str = "https://a.test/"):
    return WebhookEndpoint.objects.create(
        owner=ops, url=url, events=events, secret="whsec_c2VjcmV0", status=status
    )


def _payloads(event: str) -> list[dict]:
    return [
        json.loads(body)
        for body in OutboxMessage.objects.filter(kind="webhook", event=event)
        .order_by("pk")
        .values_list("body", flat=True)
    ]


@pytest.mark.django_db
def test_with_no_endpoint_an_event_costs_one_query_and_writes_nothing():
    account = AccountFactory()
    with CaptureQueriesContext(connection) as queries:
        assert webhook_event("account.updated", account) == []
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert webhook_events_bulk("follow_up.surfaced", Account, range(1, 501)) == []
    assert len(queries) == 1
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_one_row_per_active_or_paused_endpoint_subscribed(ops):
    active = _endpoint(ops, ["account.created"])
    paused = _endpoint(ops, ["account.created", "deal.won"], status="paused")
    _endpoint(ops, ["account.created"], status="disabled")
    _endpoint(ops, ["account.updated"])
    rows = webhook_event("account.created", AccountFactory())
    assert {row.webhook_endpoint_id for row in rows} == {active.pk, paused.pk}
    assert len({row.message_id for row in rows}) == 2  # each its own webhook-id
    assert {row.status for row in rows} == {"pending"}


@pytest.mark.django_db
def test_the_payload_carries_the_api_representation(ops, rep):
    _endpoint(ops, ["account.created", "contact.created", "contact.updated"])
    account = prospect_services.account_create(actor=rep, name="Acme Clinic", owner=rep)
    contact = prospect_services.contact_save(
        actor=rep, contact=Contact(account=account, name="Ada Jones", title="COO")
    )
    contact.title = "CEO"
    prospect_services.contact_save(actor=rep, contact=contact)

    (created,) = _payloads("account.created")
    assert set(created) == {"type", "timestamp", "data"}
    assert created["type"] == "account.created"
    assert created["timestamp"].endswith("Z")
    expected = json.loads(json.dumps(AccountSerializer(account).data, default=str))
    assert created["data"] == expected
    assert created["data"]["owner"]["id"] == rep.pk
    (contact_created,) = _payloads("contact.created")
    assert contact_created["data"]["name"] == "Ada Jones"
    (contact_updated,) = _payloads("contact.updated")
    assert contact_updated["data"] == dict(ContactSerializer(contact).data)
    assert contact_updated["data"]["title"] == "CEO"


@pytest.mark.django_db
def test_an_erasure_tells_the_receivers_and_no_payload_keeps_the_person(ops, rep):
    from prospects.privacy.services import contact_erase

    _endpoint(ops, ["contact.created", "contact.updated"])
    account = prospect_services.account_create(actor=rep, name="Acme Clinic", owner=rep)
    contact = prospect_services.contact_save(
        actor=rep,
        contact=Contact(account=account, name="Ada Jones", email="ada@acme.test", title="COO"),
    )
    contact_erase(actor=ops, contact=contact, confirmation="Ada Jones")

    (created,) = _payloads("contact.created")
    (erased,) = _payloads("contact.updated")
    assert erased["data"]["id"] == contact.pk
    assert erased["data"]["erased"] is True
    assert erased["data"]["name"] == "Erased contact"
    # The earlier payload, still to be delivered, no longer names her either.
    assert created["data"]["id"] == contact.pk
    bodies = " ".join(OutboxMessage.objects.values_list("body", flat=True))
    assert "Ada Jones" not in bodies
    assert "ada@acme.test" not in bodies


@pytest.mark.django_db
def test_account_updates_are_told_only_when_something_changed(ops, rep):
    _endpoint(ops, ["account.updated"])
    account = AccountFactory(owner=rep, name="Old name")
    prospect_services.account_update(actor=rep, account=account, name="Old name")
    assert _payloads("account.updated") == []
    prospect_services.account_update(actor=rep, account=account, name="New name")
    (updated,) = _payloads("account.updated")
    assert updated["data"]["name"] == "New name"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_writes_nothing_and_asks_no_sender(ops, rep, monkeypatch):
    asked: list[bool] = []
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: asked.append(True))
    _endpoint(ops, ["account.created"])

    def the_change_fails() -> None:
        with transaction.atomic():
            prospect_services.account_create(actor=rep, name="Never was", owner=rep)
            assert OutboxMessage.objects.filter(kind="webhook").count() == 1
            raise RuntimeError("the change itself failed")

    with pytest.raises(RuntimeError):
        the_change_fails()
    assert not Account.objects.filter(name="Never was").exists()
    assert not OutboxMessage.objects.exists()
    assert asked == []
    prospect_services.account_create(actor=rep, name="Was", owner=rep)
    assert asked == [True]  # once committed


@pytest.mark.django_db
def test_a_model_nobody_registered_is_sent_as_its_id(ops, rep):
    _endpoint(ops, ["review.finished"])
    webhook_event("review.finished", rep)  # any model: User is registered by nobody
    (payload,) = _payloads("review.finished")
    assert payload["data"] == {"id": rep.pk}


@pytest.mark.django_db
def test_the_bulk_variant_costs_the_same_queries_for_any_count(ops, django_assert_num_queries):
    _endpoint(ops, ["account.updated"])
    _endpoint(ops, ["account.updated"], url="https://b.test/")
    few = [AccountFactory().pk for _ in range(3)]
    many = [AccountFactory().pk for _ in range(40)]
    # The endpoints, the accounts with what their representation reads, the insert.
    with django_assert_num_queries(3):
        webhook_events_bulk("account.updated", Account, few)
    with django_assert_num_queries(3):
        rows = webhook_events_bulk("account.updated", Account, many)
    assert len(rows) == 80
    payloads = {p["data"]["id"]: p for p in _payloads("account.updated")}
    assert set(payloads) == set(few) | set(many)
    assert payloads[many[0]]["data"]["owner"]["id"] == Account.objects.get(pk=many[0]).owner_id


def test_an_unknown_event_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown webhook event"):
        events._subscribed("account.eaten")


@pytest.mark.django_db
def test_a_conversation_that_changes_the_accounts_readiness_tells_an_account_update(ops, rep):
    from django.utils import timezone

    _endpoint(ops, ["account.updated"])
    account = AccountFactory(owner=rep)
    prospect_services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=timezone.now(),
        channel="call",
        kind="qualifying",
        notes="Heard about the waiting lists",
    )
    assert _payloads("account.updated") == []  # nothing about the account changed
    prospect_services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=timezone.now(),
        channel="call",
        kind="qualifying",
        has_problem="yes",
    )
    (updated,) = _payloads("account.updated")
    assert updated["data"]["has_problem"] == "yes"
