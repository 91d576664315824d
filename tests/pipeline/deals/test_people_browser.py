"""The contact and account lists in a browser, wide and at phone width: filters in view,
sorting, load more, the readiness legend; and the buying committee on a deal page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.core.test_browser import sign_in, watch_console
from tests.factories import AccountFactory, ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(rep, open_deal):
    from prospects import services

    accounts = []
    for n, name in enumerate(["Alder Clinic", "Birch School", "Cedar Hospital"]):
        account = AccountFactory(owner=rep, name=name, has_problem="yes" if n else "unknown")
        accounts.append(account)
        open_deal(rep, account=account, value=Decimal(1000 * (n + 1)), currency="EUR")
        for i in range(2):
            person = ContactFactory(
                account=account,
                name=f"{['Ann', 'Bo', 'Cy'][n]} {['Archer', 'Brook'][i]}",
                email=f"p{n}{i}@example.org",
                phone="+44 20 7946 0000",
                buying_role=["champion", "user"][i],
            )
            services.conversation_log(
                actor=rep,
                account=account,
                occurred_at=timezone.now() - timedelta(days=n * 3 + i),
                channel="call",
                kind="other",
                notes="x",
                contacts=[person],
            )
    return accounts


@pytest.mark.parametrize("width", [1280, 390])
def test_the_lists_wide_and_narrow(page: Page, live_server, rep, book, screenshot, width):
    violations = watch_console(page)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/contacts/")
    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    # The filters are in view, not folded away, each with its label.
    filters = page.get_by_role("region", name="Filters")
    expect(filters.get_by_label("Buying role")).to_be_visible()
    expect(filters.get_by_label("Last conversation from")).to_be_visible()
    table = page.locator("#contacts-table")
    expect(table).to_contain_text("Ann Archer")
    screenshot(page, f"contacts-{width}")
    filters.get_by_label("Buying role").select_option("champion")
    expect(table).not_to_contain_text("Bo Brook")
    expect(table).to_contain_text("Bo Archer")
    page.get_by_role("link", name="Last conversation").click()
    expect(page.locator("#contacts-table th[aria-sort]")).to_contain_text("Last conversation")
    screenshot(page, f"contacts-filtered-{width}")

    page.goto(f"{live_server.url}/accounts/")
    expect(page.get_by_role("region", name="Filters").get_by_label("Segment")).to_be_visible()
    expect(page.get_by_text("Readiness dots")).to_be_visible()
    accounts = page.locator("#accounts-table")
    expect(accounts).to_contain_text("3,000 EUR")
    page.get_by_role("link", name="Open pipeline").click()
    expect(accounts.locator("tbody tr").first).to_contain_text("Alder Clinic")
    page.get_by_role("link", name="Open pipeline").click()
    expect(accounts.locator("tbody tr").first).to_contain_text("Cedar Hospital")
    screenshot(page, f"accounts-{width}")
    assert violations == []


def test_the_buying_committee_is_kept_from_the_keyboard(
    page: Page, live_server, rep, open_deal, screenshot
):
    violations = watch_console(page)
    account = AccountFactory(owner=rep, name="Alder Clinic")
    helen = ContactFactory(account=account, name="Helen Shaw", title="Director of Nursing")
    ContactFactory(account=account, name="Ravi Patel", title="Finance")
    deal = open_deal(rep, account=account, name="Ward flow")
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    page.evaluate("window.__noReload = true")
    panel = page.locator("#committee")
    expect(panel).to_contain_text("Nobody yet")
    person = panel.get_by_label("Person")
    person.focus()
    person.select_option(label="Helen Shaw — Director of Nursing")
    panel.get_by_label("Role on this deal").select_option("decision_maker")
    panel.get_by_role("button", name="Add to the committee").press("Enter")
    expect(panel).to_contain_text("Helen Shaw is on the buying committee.")
    expect(panel.get_by_role("link", name="Helen Shaw")).to_be_visible()
    expect(panel).to_contain_text("Decision maker")
    screenshot(page, "deal-committee-390")
    panel.get_by_role("button", name="Take Helen Shaw off the committee").click()
    expect(panel).to_contain_text("Taken off the buying committee.")
    expect(panel.get_by_label("Person")).to_contain_text("Helen Shaw")
    assert page.evaluate("window.__noReload") is True
    assert helen.deal_seats.count() == 0
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "deal-committee-1280")
    assert violations == []
