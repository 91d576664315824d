"""The export holds everything salesflow keeps about the person, and nothing of the others."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from prospects.privacy import services
from tests.prospects.privacy.conftest import (
    EMAIL,
    FIRST_LAST,
    NAME,
    OTHER_EMAIL,
    OTHER_NAME,
    PHONE,
)

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_person_everywhere_salesflow_keeps_them(person, sales_ops):
    data = services.contact_export(actor=sales_ops, contact=person.contact)

    assert data["format"] == "salesflow-contact-export/1"
    assert data["exported_by"] == sales_ops.username
    contact = data["contact"]
    assert (contact["name"], contact["email"], contact["phone"]) == (NAME, EMAIL, PHONE)
    assert contact["title"] == "Director of Nursing"
    assert contact["buying_role"] == "Champion"
    assert data["account"] == {"id": person.contact.account_id, "name": "St Brigid's Hospital"}
    # The conversation she took part in, and the one that quotes her email.
    notes = [c["notes"] for c in data["conversations"]]
    assert notes == [
        f"{FIRST_LAST} says weekend discharges stall; call her on {PHONE}.",
        # Another contact named with her: hidden, it is not hers to receive.
        f"[another contact] forwarded the figures to {EMAIL.upper()}.",
    ]
    assert [c["attended"] for c in data["conversations"]] == [True, False]
    assert data["why_notes"][0]["text"] == f"{NAME} wants beds free by Friday noon."
    assert data["why_notes"][0]["said_by_them"] is True
    [step] = data["soe_steps"]
    assert step["text"] == f"Board paper by {FIRST_LAST}"
    assert step["proposed_by_them"]
    assert step["their_step"]
    assert step["deal_id"] == person.deal.pk
    [deal] = data["deals"]
    assert deal["name"] == f"Ward pilot with {FIRST_LAST}"
    assert deal["next_step"] == f"Send {EMAIL} the pilot outline"
    assert [c["note"] for c in data["stage_changes"]] == [f"{NAME} agreed the pilot scope."]
    [follow_up] = data["follow_ups"]
    assert follow_up["purpose"] == f"Send {FIRST_LAST} the pilot plan"
    assert f"Dear {NAME}" in follow_up["draft"]
    [notification] = data["notifications"]
    assert notification["body"] == f"Purpose: Send {FIRST_LAST} the pilot plan"
    [email] = data["emails"]
    assert f"Dear {NAME}" in email["body"]
    [upload] = data["imports"]
    assert upload["lines"] == [f"St Brigid's Hospital,{NAME},{EMAIL},{PHONE}"]
    assert upload["errors"] == [{"row": 2, "message": f"{EMAIL} is already a contact"}]
    assert [row["summary"] for row in data["timeline"]] == [
        f"Merged “{FIRST_LAST} (private practice)” into this account"
    ]
    assert [i["text"] for i in data["review_items"]] == [f"We chased {NAME} too early"]
    assert [g["title"] for g in data["review_groups"]] == [f"Waiting on {FIRST_LAST}"]
    assert [a["text"] for a in data["review_actions"]] == [f"Agree dates with {FIRST_LAST} first"]
    assert [e["object"] for e in data["admin_log"]] == [NAME]


def test_the_export_holds_nothing_of_the_other_contacts(person, sales_ops):
    data = services.contact_export(actor=sales_ops, contact=person.contact)
    text = json.dumps(data, default=str)

    # Not the other contact's own conversations, nor their name or address where a text
    # that quotes her quotes them too (a conversation's notes, the import file).
    assert "walked us round ward 4" not in text
    assert OTHER_NAME not in text
    assert OTHER_EMAIL not in text
    assert "+44 20 7946 0111" not in text
    assert data["other_contacts_naming_them"] == []
    # Nor who else attended her conversation.
    assert "attendees" not in data["conversations"][0]


def test_the_export_of_the_other_contact_holds_nothing_of_her(person, sales_ops):
    data = services.contact_export(actor=sales_ops, contact=person.other)
    assert data["contact"]["name"] == OTHER_NAME
    assert data["soe_steps"] == []
    assert data["why_notes"] == []
    assert [c["attended"] for c in data["conversations"]] == [True, True, True]
    # The conversation they shared quotes her: hidden in his export.
    assert data["conversations"][0]["notes"] == (
        "[another contact] says weekend discharges stall; call her on [another contact]."
    )
    text = json.dumps(data, default=str).casefold()
    for needle in (NAME, FIRST_LAST, EMAIL, PHONE):
        assert needle.casefold() not in text


def test_only_sales_ops_and_admins_may_export(person, rep, manager):
    for user in (rep, manager):
        with pytest.raises(PermissionDenied):
            services.contact_export(actor=user, contact=person.contact)


def test_the_download_is_the_export_as_a_json_file(client, person, sales_ops):
    client.force_login(sales_ops)
    response = client.get(reverse("prospects:contact_export", args=[person.contact.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="contact-{person.contact.pk}-export.json"'
    )
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["contact"]["email"] == EMAIL
    assert data["soe_steps"][0]["proposed_on"]  # dates written as ISO text


def test_an_erased_contact_exports_as_the_placeholder(person, sales_ops):
    services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=NAME)
    person.contact.refresh_from_db()

    text = json.dumps(services.contact_export(actor=sales_ops, contact=person.contact), default=str)
    assert "Erased contact" in text
    for needle in (NAME, FIRST_LAST, EMAIL, PHONE):
        assert needle.casefold() not in text.casefold()


def test_the_export_holds_the_history_of_the_person_and_of_what_named_them(person, sales_ops, rep):
    from prospects.services import contact_save
    from salesflow.core.audit.context import audit_context

    contact = person.contact
    contact.title = "Chief Nursing Officer"
    # As the contact's edit page saves it (its middleware opens this context).
    with audit_context(door="page", detail=f"/contacts/{contact.pk}/edit/", user=rep.pk):
        contact_save(actor=rep, contact=contact)
    data = services.contact_export(actor=sales_ops, contact=contact)

    changed, created = data["history"]  # newest first
    assert changed["action"] == "changed"
    assert changed["by"] == "Rita Rep"
    assert changed["through"] == "from the contact page"
    assert changed["fields"] == [
        {"field": "Title", "before": "Director of Nursing", "after": "Chief Nursing Officer"}
    ]
    assert created["action"] == "created"
    # The deal named after her, as it was recorded when it was created.
    deals = [row for row in data["history_naming_them"] if row["record"] == "deal"]
    assert deals[0]["event"] == "created"
    assert {row["name"] for row in deals} == {f"Ward pilot with {FIRST_LAST}"}
    assert {row["record_id"] for row in deals} == {person.deal.pk}
    # Her own contact rows are in "history", not again here.
    assert all(row["record"] != "contact" for row in data["history_naming_them"])
