"""Webhook messages held in the outbox quote the people they are about (a contact's API
representation): an erasure scrubs them like the emails, and what is left is still JSON,
so a redelivery sends the scrubbed message."""

from __future__ import annotations

import json

import pytest

from prospects import services as prospect_services
from prospects.models import Contact
from prospects.privacy import services
from salesflow.core.models import OutboxMessage, WebhookEndpoint
from salesflow.core.webhooks import delivery
from tests.factories import AccountFactory, UserFactory

NAME = "Helen Margaret Shaw"
EMAIL = "helen.shaw@stbrigids.example"


@pytest.mark.django_db
def test_an_erasure_scrubs_the_webhook_messages_that_quote_the_person(rep, monkeypatch):
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: None)
    ops = UserFactory(role="sales_ops")
    WebhookEndpoint.objects.create(
        owner=ops, url="https://a.test/", events=["contact.created"], secret="whsec_c2VjcmV0"
    )
    account = AccountFactory(owner=rep)
    contact = prospect_services.contact_save(
        actor=rep, contact=Contact(account=account, name=NAME, email=EMAIL, phone="")
    )
    other = prospect_services.contact_save(
        actor=rep, contact=Contact(account=account, name="Tomasz Wierzbicki", email="")
    )

    services.contact_erase(actor=ops, contact=contact, confirmation=NAME)

    bodies = {
        json.loads(body)["data"]["id"]: json.loads(body)["data"]  # still JSON
        for body in OutboxMessage.objects.filter(kind="webhook").values_list("body", flat=True)
    }
    assert (bodies[contact.pk]["name"], bodies[contact.pk]["email"]) == ("[erased]", "[erased]")
    assert bodies[other.pk]["name"] == "Tomasz Wierzbicki"
    assert not OutboxMessage.objects.filter(body__icontains="Helen").exists()
