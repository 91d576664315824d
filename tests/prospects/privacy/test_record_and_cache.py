"""The record of erasures in the admin (read-only), and no trace of the person in the cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from prospects.models import Contact, Erasure
from prospects.privacy import services
from tests.prospects.privacy.conftest import EMAIL, FIRST_LAST, NAME, PHONE

pytestmark = pytest.mark.django_db


def test_the_admin_lists_erasures_read_only(admin_client, person, sales_ops):
    erasure = services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=NAME)

    listing = admin_client.get(reverse("admin:prospects_erasure_changelist"))
    assert listing.status_code == 200
    assert str(person.contact.pk) in listing.content.decode()
    page = admin_client.get(reverse("admin:prospects_erasure_change", args=[erasure.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html  # nothing to save: view only
    assert NAME not in html
    assert admin_client.get(reverse("admin:prospects_erasure_add")).status_code == 403
    delete = reverse("admin:prospects_erasure_delete", args=[erasure.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Erasure.objects.count() == 1


def kept() -> dict[str, bytes]:
    """Everything in the tests' cache (LocMemCache), each value as the pickle it is kept as."""
    return dict(cache._cache)


def test_the_cache_keeps_nothing_of_the_person_after_an_erasure(client, person, sales_ops, rep):
    """What salesflow keeps in the cache (the dashboard's figures, import progress) never
    quotes a person: after pages that fill it are opened, nothing in it names them."""
    for user in (sales_ops, rep):
        client.force_login(user)
        assert client.get(reverse("pipeline:dashboard")).status_code == 200
    client.force_login(sales_ops)
    assert (
        client.get(reverse("prospects:contact_detail", args=[person.contact.pk])).status_code == 200
    )
    assert any("dashboard" in key for key in kept())  # the figures were kept
    # …and their texts can be read in the pickles: the scan below would see a name.
    assert any(rep.last_name.encode() in value for value in kept().values())

    services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=NAME)

    for key, value in kept().items():
        for needle in (NAME, FIRST_LAST, EMAIL, PHONE):
            assert needle.encode() not in value, key


def test_the_account_admin_offers_no_erased_contact_for_editing(admin_client, person, sales_ops):
    services.contact_erase(actor=sales_ops, contact=person.contact, confirmation=NAME)

    page = admin_client.get(
        reverse("admin:prospects_account_change", args=[person.contact.account_id])
    )
    formset = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is Contact)
    shown = {form.instance.pk for form in formset.formset.forms}
    assert shown == {person.other.pk}
