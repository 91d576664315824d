"""Two erasures of one contact at once (a double submit, two sales ops): one erases, the
other finds it done; and erased placeholders are nobody, so a merge never pairs them."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from prospects.merge import selectors as merge_selectors
from prospects.models import Contact, Erasure
from prospects.privacy import services
from tests.factories import AccountFactory, ContactFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_two_erasures_at_once_erase_once(rep, account):
    contact = ContactFactory(account=account, name="Helen Shaw", email="helen@example.test")
    ops = [UserFactory(role="sales_ops"), UserFactory(role="sales_ops")]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def erase(actor):
        try:
            start.wait()
            services.contact_erase(actor=actor, contact=contact, confirmation="Helen Shaw")
            outcomes.append("erased")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=erase, args=(actor,)) for actor in ops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["This contact's data is already erased.", "erased"]
    assert Erasure.objects.count() == 1
    assert Contact.objects.get(pk=contact.pk).name == "Erased contact"


@pytest.mark.django_db
def test_a_merge_never_pairs_erased_placeholders(rep, account):
    sales_ops = UserFactory(role="sales_ops")
    duplicate = AccountFactory(owner=rep, name="St Brigid's")
    for where, name in ((account, "Ann Lee"), (duplicate, "Bob Hart")):
        contact = ContactFactory(account=where, name=name, email="")
        services.contact_erase(actor=sales_ops, contact=contact, confirmation=name)

    assert merge_selectors.merge_contact_pairs(survivor=account, duplicate=duplicate) == []
