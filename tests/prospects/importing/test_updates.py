"""Imports create, update or both; a row whose values are already stored writes nothing (no
UPDATE, no audit row, no webhook event); an export imported again changes nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from prospects.models import Account, AccountEvent, AccountImport, Contact
from salesflow.core.audit.tracking import EVENT_MODELS
from salesflow.core.models import OutboxMessage, WebhookEndpoint
from salesflow.core.webhooks import delivery
from tests.factories import AccountFactory, ContactFactory, SegmentFactory, UserFactory
from tests.prospects.importing.csvfiles import GOOD, upload

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    """Every account and contact as stored, with its last change, and the audit tables."""
    return {
        "accounts": sorted(Account.objects.values_list(named=False).order_by("pk")),
        "contacts": sorted(Contact.objects.values_list(named=False).order_by("pk")),
        "audit": (
            EVENT_MODELS[Account].objects.count(),
            EVENT_MODELS[Contact].objects.count(),
        ),
        "events": AccountEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


def download(client, name: str) -> str:
    return b"".join(client.get(reverse(name)).streaming_content).decode()


@pytest.fixture
def hooks(monkeypatch):
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: None)
    return WebhookEndpoint.objects.create(
        owner=UserFactory(role="sales_ops"),
        url="https://a.test/",
        events=["account.created", "contact.created", "account.updated", "contact.updated"],
        secret="whsec_c2VjcmV0",
    )


def test_the_same_file_twice_changes_nothing_the_second_time(client, rep, segments, hooks):
    client.force_login(rep)
    upload(client, GOOD.format(rep=rep.username))
    before = snapshot()
    response = upload(client, GOOD.format(rep=rep.username))
    job = AccountImport.objects.latest("pk")
    assert job.status == "done", job.errors
    assert job.counts == {
        "accounts": {"created": 0, "updated": 0, "unchanged": 2},
        "contacts": {"created": 0, "updated": 0, "unchanged": 2},
    }
    assert snapshot() == before  # same rows, same updated_at, no audit row, no webhook
    page = client.get(response["Location"]).content.decode()
    assert "Accounts: 0 created, 0 updated, 2 unchanged." in page
    assert "Contacts: 0 created, 0 updated, 2 unchanged." in page


def test_an_update_changes_only_what_differs_and_tells_webhooks(client, rep, segments, hooks):
    client.force_login(rep)
    upload(client, GOOD.format(rep=rep.username))
    kestrel = Account.objects.get(name="Kestrel Components")
    audit_before = EVENT_MODELS[Account].objects.count()
    OutboxMessage.objects.all().delete()
    changed = GOOD.format(rep=rep.username).replace("kestrel.example", "kestrel.test")
    changed = changed.replace("Plant Manager", "Site Director")
    upload(client, changed, mode="update")
    job = AccountImport.objects.latest("pk")
    assert job.counts == {
        "accounts": {"created": 0, "updated": 1, "unchanged": 1},
        "contacts": {"created": 0, "updated": 1, "unchanged": 1},
    }
    kestrel.refresh_from_db()
    assert kestrel.website == "https://kestrel.test"
    assert Contact.objects.get(email="lars@k.example").title == "Site Director"
    assert EVENT_MODELS[Account].objects.count() == audit_before + 1
    told = {
        (event, json.loads(body)["data"]["id"])
        for event, body in OutboxMessage.objects.values_list("event", "body")
    }
    lars = Contact.objects.get(email="lars@k.example")
    assert told == {("account.updated", kestrel.pk), ("contact.updated", lars.pk)}


def test_accounts_match_by_normalised_name_or_domain_and_contacts_by_email(client, rep, segments):
    kestrel = AccountFactory(owner=rep, name="Kestrel Components", website="https://kestrel.io")
    lars = ContactFactory(account=kestrel, name="L. Berg", email="Lars@K.example")
    harbour = AccountFactory(owner=rep, name="Harbour Trust", website="https://www.harbour.org/")
    client.force_login(rep)
    text = (
        "company,website,email,contact\n"
        '"KESTREL COMPONENTS, Ltd.",,lars@k.example,Lars Berg\n'
        "Harbour Holdings,http://harbour.org/about,,\n"
    )
    upload(client, text, mode="update")
    job = AccountImport.objects.latest("pk")
    assert job.status == "done", job.errors
    assert Account.objects.count() == 2
    lars.refresh_from_db()
    assert lars.name == "Lars Berg"  # found by its email, case aside; renamed
    harbour.refresh_from_db()
    assert harbour.name == "Harbour Trust"  # the name found nothing, the domain did
    assert harbour.website == "http://harbour.org/about"


def test_create_mode_leaves_existing_records_alone(client, rep, segments):
    client.force_login(rep)
    upload(client, GOOD.format(rep=rep.username))
    before = snapshot()
    changed = GOOD.format(rep=rep.username).replace("Plant Manager", "Site Director")
    upload(client, changed + "New Co,,,,,,,,\n", mode="create")
    job = AccountImport.objects.latest("pk")
    assert job.counts["accounts"] == {"created": 1, "updated": 0, "unchanged": 2}
    assert Contact.objects.get(email="lars@k.example").title == "Plant Manager"
    assert before["accounts"] != snapshot()["accounts"]  # only New Co was added
    assert Account.objects.count() == 3


def test_update_mode_refuses_rows_that_match_nothing_and_writes_nothing(client, rep, segments):
    AccountFactory(owner=rep, name="Kestrel Components", website="https://kestrel.example")
    client.force_login(rep)
    before = snapshot()
    upload(client, GOOD.format(rep=rep.username), mode="update")
    job = AccountImport.objects.latest("pk")
    assert job.status == "invalid"
    messages = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert messages[(4, "account_name")] == "No account you can see matches “Hillside Primary”."
    assert (3, "contact_name") in messages  # Sofia is not at Kestrel yet
    assert snapshot() == before


def test_a_teammates_account_is_read_only_to_an_import(client, rep, teammate, segments):
    AccountFactory(owner=teammate, name="Teammate Trust", website="https://t.example")
    client.force_login(rep)
    before = snapshot()
    upload(client, "account_name,website\nTeammate Trust,https://other.example\n", mode="both")
    job = AccountImport.objects.latest("pk")
    assert job.status == "invalid"
    assert "read-only for you" in job.errors[0]["message"]
    assert snapshot() == before
    # The same values are no change, so nothing is refused.
    upload(client, "account_name,website\nTeammate Trust,https://t.example\n")
    assert AccountImport.objects.latest("pk").status == "done"


def test_an_outsiders_account_is_never_matched(client, rep, outsider, segments):
    AccountFactory(owner=outsider, name="Far Away Ltd")
    client.force_login(rep)
    upload(client, "account_name\nFar Away Ltd\n", mode="update")
    job = AccountImport.objects.latest("pk")
    assert job.status == "invalid"
    assert job.errors[0]["message"] == "No account you can see matches “Far Away Ltd”."


def test_accounts_and_contacts_exports_import_again_without_a_change(
    client, rep, teammate, segments, hooks
):
    kestrel = AccountFactory(
        owner=rep,
        name="Kestrel Components",
        website="https://kestrel.example",
        segment=SegmentFactory(name="Manufacturers"),
        status="disqualified",
        disqualified_reason="Bought elsewhere",
    )
    ContactFactory(account=kestrel, name="Lars Berg", email="lars@k.example", phone="+44 20 1")
    ContactFactory(account=kestrel, name="Sofia Marin", email="", buying_role="blocker")
    shared = AccountFactory(owner=teammate, name="=Formula Trust")
    ContactFactory(account=shared, name="-Dash", email="d@f.example")
    client.force_login(rep)
    before = snapshot()
    for export in ("prospects:account_export", "prospects:contact_list_export"):
        response = upload(client, download(client, export), mode="update")
        assert response.status_code == 302
        job = AccountImport.objects.latest("pk")
        assert job.status == "done", job.errors
        assert all(c["created"] == 0 and c["updated"] == 0 for c in job.counts.values())
        assert snapshot() == before, export


def test_a_rule_a_service_enforces_while_writing_rolls_the_whole_import_back(
    client, rep, segments, monkeypatch
):
    from prospects import services as prospect_services

    kestrel = AccountFactory(owner=rep, name="Kestrel Components", status="customer")
    monkeypatch.setattr(
        prospect_services,
        "STATUS_RULES",
        [lambda accounts, status: "It has a won deal; it stays a customer."],
    )
    client.force_login(rep)
    before = snapshot()
    upload(client, "account_name,status\nNew Co,prospect\nKestrel Components,prospect\n")
    job = AccountImport.objects.latest("pk")
    assert job.status == "invalid"
    assert job.errors == [
        {"row": 3, "column": "account_name", "message": "It has a won deal; it stays a customer."}
    ]
    assert snapshot() == before  # New Co, created before the refusal, was rolled back
    kestrel.refresh_from_db()
    assert kestrel.status == "customer"


def test_a_name_without_latin_letters_is_matched_whole_on_a_second_run(client, rep, segments):
    client.force_login(rep)
    upload(client, "account_name,contact_name\n東京商事,Sato\n")
    upload(client, "account_name,contact_name\n東京商事,Sato\n")
    assert Account.objects.count() == 1
    assert AccountImport.objects.latest("pk").counts["accounts"]["unchanged"] == 1
