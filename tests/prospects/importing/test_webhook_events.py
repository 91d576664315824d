"""A CSV import tells webhooks of every account and contact it adds, as adding them one by
one would, in the import's own transaction."""

from __future__ import annotations

import json

import pytest

from prospects.models import Account, Contact
from salesflow.core.models import OutboxMessage, WebhookEndpoint
from salesflow.core.webhooks import delivery
from tests.factories import UserFactory
from tests.prospects.importing.csvfiles import GOOD, upload


@pytest.mark.django_db
def test_an_import_tells_each_account_and_contact_created(client, rep, segments, monkeypatch):
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: None)
    WebhookEndpoint.objects.create(
        owner=UserFactory(role="sales_ops"),
        url="https://a.test/",
        events=["account.created", "contact.created"],
        secret="whsec_c2VjcmV0",
    )
    client.force_login(rep)
    assert upload(client, GOOD.format(rep=rep.username)).status_code == 302
    told = {
        (event, json.loads(body)["data"]["id"])
        for event, body in OutboxMessage.objects.filter(kind="webhook").values_list("event", "body")
    }
    accounts = {("account.created", pk) for pk in Account.objects.values_list("pk", flat=True)}
    contacts = {("contact.created", pk) for pk in Contact.objects.values_list("pk", flat=True)}
    assert told == accounts | contacts
    assert len(told) == 4
