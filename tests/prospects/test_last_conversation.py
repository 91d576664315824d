"""A contact's latest conversation, kept by the database on every path that links, moves,
unlinks or re-times a conversation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from prospects import services
from prospects.merge.services import account_merge
from prospects.models import Contact, Conversation
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def log(rep, account, when, *people):
    return services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=when,
        channel="call",
        kind="other",
        notes="x",
        contacts=people,
    )


def latest(contact):
    return Contact.objects.get(pk=contact.pk).last_conversation_at


def test_logging_sets_it_and_an_older_conversation_does_not_move_it_back(rep, account, contact):
    now = timezone.now().replace(microsecond=0)
    other = ContactFactory(account=account)
    assert latest(contact) is None
    log(rep, account, now - timedelta(days=2), contact, other)
    assert latest(contact) == now - timedelta(days=2)
    log(rep, account, now - timedelta(days=1), contact)
    log(rep, account, now - timedelta(days=9), contact)
    assert latest(contact) == now - timedelta(days=1)
    assert latest(other) == now - timedelta(days=2)
    log(rep, account, now - timedelta(days=30))  # with nobody in particular
    assert latest(contact) == now - timedelta(days=1)


def test_deleting_or_retiming_a_conversation_recomputes_it(rep, account, contact):
    now = timezone.now().replace(microsecond=0)
    older = log(rep, account, now - timedelta(days=5), contact)
    newer = log(rep, account, now - timedelta(days=1), contact)
    Conversation.objects.filter(pk=newer.pk).update(occurred_at=now - timedelta(days=3))
    assert latest(contact) == now - timedelta(days=3)
    newer.delete()
    assert latest(contact) == now - timedelta(days=5)
    older.contacts.remove(contact)
    assert latest(contact) is None


def test_a_merge_gives_the_kept_contact_the_later_of_both(rep, account, contact):
    now = timezone.now().replace(microsecond=0)
    twin = AccountFactory(owner=rep, name="St Brigid's")
    twin_helen = ContactFactory(account=twin, name="Helen Shaw", email="")
    log(rep, account, now - timedelta(days=4), contact)
    log(rep, twin, now - timedelta(days=1), twin_helen)
    account_merge(
        actor=rep,
        survivor=account,
        duplicate=twin,
        values={},
        contacts={twin_helen.pk: {"name": "Helen Shaw"}},
    )
    assert latest(contact) == now - timedelta(days=1)
