"""The merge page in a browser: the contacts that are the same person, offered as pairs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.core.test_browser import sign_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merge_offers_the_contacts_that_are_the_same_person(
    page: Page, live_server, rep, account, contact, screenshot
):
    from prospects.models import Contact
    from tests.factories import AccountFactory, ContactFactory

    Contact.objects.filter(pk=contact.pk).update(email="helen.shaw@stbrigids.example")
    dup = AccountFactory(owner=rep, name="St Brigids Hosp.", segment=account.segment)
    helen = ContactFactory(
        account=dup, name="Helen Shaw", email="HELEN.SHAW@stbrigids.example", phone="01632 960001"
    )
    violations = watch_console(page)
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/accounts/{account.pk}/merge/?other={dup.pk}")
    pairs = page.get_by_role("region", name="Contacts that look like the same person")
    expect(pairs).to_contain_text("the same email, helen.shaw@stbrigids.example")
    expect(pairs.get_by_label("Make them one contact")).to_be_checked()
    screenshot(page, "merge-contact-pairs")
    page.get_by_role("button", name=f"Merge into {account.name}").click()
    expect(page.get_by_text("Merged St Brigids Hosp. into this account.")).to_be_visible()
    contacts = page.get_by_role("region", name="Contacts")
    expect(contacts.get_by_role("listitem")).to_have_count(1)
    expect(contacts).to_contain_text("01632 960001")
    assert not Contact.objects.filter(pk=helen.pk).exists()
    assert violations == []
