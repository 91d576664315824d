"""Contacts that are the same person: paired by email or name, made one with the values
chosen, or both kept."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from prospects import services
from prospects.merge import selectors as merge_selectors
from prospects.merge import services as merge_services
from prospects.models import Account, AccountEvent, Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_merge_pairs_contacts_by_email_in_any_case_or_else_by_name(rep, account, contact, twins):
    dup, helen = twins
    same_name = ContactFactory(account=account, name="Omar Haddad", email="")
    omar = ContactFactory(account=dup, name="  omar   HADDAD ", email="omar@elsewhere.example")
    ContactFactory(account=dup, name="Someone Else", email="someone@else.example")
    second_helen = ContactFactory(account=dup, name="Helen Shaw", email="")  # Helen is taken
    pairs = merge_selectors.merge_contact_pairs(survivor=account, duplicate=dup)
    assert {(p.keep, p.drop, p.reason) for p in pairs} == {
        (contact, helen, "email"),
        (same_name, omar, "name"),
    }
    assert second_helen not in [p.drop for p in pairs]


def test_merging_a_contact_pair_keeps_the_chosen_values_and_moves_all_that_named_it(
    rep, account, contact, twins, log
):
    from django.apps import apps

    from pipeline.deals import services as deal_services
    from pipeline.soe import services as soe_services

    # The shipped pipeline, put back if a transactional test flushed it away.
    importlib.import_module("pipeline.migrations.0002_default_pipeline").add_default_pipeline(
        apps, None
    )
    dup, helen = twins
    on_dup = log(dup, contacts=[helen])
    both = log(account, contacts=[contact])
    both.contacts.add(helen)  # a conversation already naming both: named once afterwards
    why = services.why_record(
        actor=rep, account=dup, text="Beds blocked", said_on=date(2026, 11, 1), said_by=helen
    )
    deal = deal_services.opportunity_create(actor=rep, account=dup, name="Patient flow", owner=rep)
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(
        actor=rep, sequence=sequence, text="IT review", proposed_by=helen, responsible_contact=helen
    )
    merge_services.account_merge(
        actor=rep,
        survivor=account,
        duplicate=dup,
        values={},
        contacts={helen.pk: {"phone": helen.phone, "email": helen.email}},
    )
    assert list(Contact.objects.all()) == [contact]
    contact.refresh_from_db()
    # Chosen: the duplicate's phone and email; the rest stays the survivor's.
    assert (contact.email, contact.phone, contact.buying_role, contact.title) == (
        "Helen.Shaw@StBrigids.example",
        "+44 20 7946 0000",
        "champion",
        "Head of Operations",
    )
    assert list(on_dup.contacts.all()) == [contact]
    assert list(both.contacts.all()) == [contact]
    why.refresh_from_db()
    assert why.said_by == contact
    step.refresh_from_db()
    assert (step.proposed_by, step.responsible_contact) == (contact, contact)
    assert AccountEvent.objects.get(kind="merged").summary == (
        "Merged “St Brigids Hosp.” into this account, and 1 of its contacts with contacts here"
    )


def test_keeping_both_contacts_moves_the_duplicates_as_it_is(rep, account, contact, twins):
    dup, helen = twins
    merge_services.account_merge(actor=rep, survivor=account, duplicate=dup, values={}, contacts={})
    assert set(account.contacts.all()) == {contact, helen}


def test_a_contact_pair_that_no_longer_matches_is_refused_and_nothing_changes(
    rep, account, contact, twins
):
    dup, helen = twins
    Contact.objects.filter(pk=helen.pk).update(name="Someone Else", email="")
    with pytest.raises(ValidationError, match="contacts changed"):
        merge_services.account_merge(
            actor=rep, survivor=account, duplicate=dup, values={}, contacts={helen.pk: {}}
        )
    assert Account.objects.filter(pk=dup.pk).exists()
    assert Contact.objects.filter(pk=helen.pk, account=dup).exists()
    with pytest.raises(ValidationError):  # nor a contact of the survivor passed as the drop
        merge_services.account_merge(
            actor=rep, survivor=account, duplicate=dup, values={}, contacts={contact.pk: {}}
        )
    assert Contact.objects.count() == 2
