"""Erasing a person leaves no trace of them in any table, keeps deals and figures whole, and
is recorded without their data; refused, with nothing changed, without the confirmation."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from pipeline.dashboard.scope import Scope
from pipeline.dashboard.snapshot import FIGURES
from pipeline.deals.models import Opportunity, StageChange
from pipeline.followups.models import FollowUp
from pipeline.soe.models import SoeStep
from prospects.models import Contact, Conversation, Erasure, WhyNote
from prospects.privacy import services
from salesflow.core.models import Notification, OutboxMessage
from tests.prospects.privacy.conftest import (
    EMAIL,
    FIRST_LAST,
    NAME,
    OTHER_EMAIL,
    OTHER_NAME,
    PHONE,
    text_columns_naming,
)

pytestmark = pytest.mark.django_db


def figures_for(user) -> str:
    """Every figure of the dashboard page as the viewer sees it, as comparable JSON."""
    scope = Scope(user=user)
    return json.dumps(
        {name: figure(scope) for name, figure in FIGURES.items()},
        cls=DjangoJSONEncoder,
        sort_keys=True,
    )


def counts() -> dict[str, int]:
    return {
        "contacts": Contact.objects.count(),
        "conversations": Conversation.objects.count(),
        "attendances": Conversation.contacts.through.objects.count(),
        "why_notes": WhyNote.objects.count(),
        "deals": Opportunity.objects.count(),
        "stage_changes": StageChange.objects.count(),
        "soe_steps": SoeStep.objects.count(),
        "follow_ups": FollowUp.objects.count(),
        "notifications": Notification.objects.count(),
        "emails": OutboxMessage.objects.count(),
    }


def test_the_seed_names_the_person_in_many_tables(person):
    """The scan below proves something only if the person was there to be found."""
    tables = {table for table, _, _ in text_columns_naming(NAME, FIRST_LAST, EMAIL, PHONE)}
    assert {
        "prospects_contact",
        "prospects_conversation",
        "prospects_whynote",
        "prospects_accountevent",
        "prospects_accountimport",
        "pipeline_opportunity",
        "pipeline_stagechange",
        "pipeline_soestep",
        "pipeline_followup",
        "core_notification",
        "core_outboxmessage",
        "reviews_item",
        "reviews_group",
        "reviews_action",
        "django_admin_log",
    } <= tables


def test_erase_leaves_no_trace_of_the_person_in_any_text_column(person, sales_ops, rep):
    before_figures = {user.pk: figures_for(user) for user in (sales_ops, rep)}
    before_counts = counts()

    erasure = services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=NAME)

    assert text_columns_naming(NAME, FIRST_LAST, EMAIL, PHONE) == []
    # Deals, conversations and every figure stay whole.
    assert counts() == before_counts
    assert {user.pk: figures_for(user) for user in (sales_ops, rep)} == before_figures
    # The contact is a placeholder still attached to what they took part in.
    contact = Contact.objects.get(pk=person.contact.pk)
    assert (contact.name, contact.title, contact.email, contact.phone) == (
        "Erased contact",
        "",
        "",
        "",
    )
    assert contact.erased_at == erasure.erased_at
    assert contact.conversations.count() == 1
    step = SoeStep.objects.get(pk=person.step.pk)
    assert step.proposed_by_id == contact.pk
    assert step.text == "Board paper by [erased]"
    assert WhyNote.objects.get(said_by=contact).text == "[erased] wants beds free by Friday noon."
    assert Opportunity.objects.get(pk=person.deal.pk).name == "Ward pilot with [erased]"
    notes = Conversation.objects.filter(contacts=contact).get().notes
    assert notes == "[erased] says weekend discharges stall; call her on [erased]."
    # The other contact, and what names them, are untouched.
    other = Contact.objects.get(pk=person.other.pk)
    assert (other.name, other.email) == (OTHER_NAME, OTHER_EMAIL)
    assert Conversation.objects.filter(notes__contains=OTHER_NAME).count() == 2


def test_the_erasure_is_recorded_without_personal_data(person, sales_ops):
    erasure = services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=EMAIL)

    row = Erasure.objects.get()
    assert row == erasure
    assert (row.erased_by, row.contact_id, row.contact_pk) == (
        sales_ops,
        person.contact.pk,
        person.contact.pk,
    )
    assert row.counts["conversations"] == 2  # her own, and the one that quotes her email
    assert row.counts["soe_steps"] == 1
    assert row.counts["follow_ups"] == 1
    assert row.counts["deals"] == 1
    assert row.counts["emails"] == 1
    assert all(isinstance(n, int) and n > 0 for n in row.counts.values())
    recorded = json.dumps(
        [row.contact_pk, row.erased_at, row.counts, str(row)], cls=DjangoJSONEncoder
    ).casefold()
    for needle in (NAME, FIRST_LAST, EMAIL, PHONE, "helen", "shaw"):
        assert needle.casefold() not in recorded


@pytest.mark.parametrize(
    "typed", ["", "   ", "Helen Shaw", "helen margaret shaw", "Helen", "yes", "Tomasz Wierzbicki"]
)
def test_erase_without_the_confirmation_is_refused_and_changes_nothing(person, sales_ops, typed):
    before = text_columns_naming(NAME, FIRST_LAST, EMAIL, PHONE)

    with pytest.raises(ValidationError) as refused:
        services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=typed)

    assert "confirmation" in refused.value.message_dict
    assert text_columns_naming(NAME, FIRST_LAST, EMAIL, PHONE) == before
    assert Contact.objects.get(pk=person.contact.pk).erased_at is None
    assert not Erasure.objects.exists()


def test_the_email_confirms_whatever_its_case_and_spaces(person, sales_ops):
    services.contact_erase(
        actor=sales_ops, contact=person.contact, confirmation=f"  {EMAIL.upper()} "
    )
    assert Contact.objects.get(pk=person.contact.pk).erased_at is not None


def test_an_erased_contact_is_not_erased_twice(person, sales_ops):
    services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=NAME)
    contact = Contact.objects.get(pk=person.contact.pk)

    with pytest.raises(ValidationError, match="already erased"):
        services.contact_erase(actor=sales_ops, contact=contact, confirmation=contact.name)
    assert Erasure.objects.count() == 1


def test_only_sales_ops_and_admins_may_erase(person, rep, manager):
    for user in (rep, manager):
        with pytest.raises(PermissionDenied):
            services.contact_erase(actor=user, contact=person.contact, confirmation=NAME)
    assert Contact.objects.get(pk=person.contact.pk).name == NAME


def test_an_erased_contact_cannot_be_edited_back(person, sales_ops):
    from prospects import services as prospect_services

    services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=NAME)
    contact = Contact.objects.get(pk=person.contact.pk)
    contact.name = NAME
    with pytest.raises(ValidationError, match="erased"):
        prospect_services.contact_save(actor=sales_ops, contact=contact)
