"""A manager finds a misspelt account among their team's, and pages one kind with "more…",
at desktop and phone widths, by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from prospects.search.selectors import PAGE_SIZE
from tests.core.test_browser import sign_in, watch_console
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_a_manager_finds_a_misspelt_account_and_pages_the_deals(
    page: Page, live_server, rep, manager, outsider, open_deal, screenshot, width, height
):
    violations = watch_console(page)
    kestrel = AccountFactory(owner=rep, name="Kestrel Components")
    AccountFactory(owner=outsider, name="Kestrel Components East")  # another team's
    for n in range(PAGE_SIZE + 2):
        open_deal(rep, account=kestrel, name=f"Kestrel line {n}", next_step="Book the <pilot>")
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server.url, manager.username)
    if width >= 1200:
        box = page.get_by_role("searchbox", name="Search", exact=True)
        box.fill("Kestrel Componnets")
        box.press("Enter")
    else:
        page.goto(f"{live_server.url}/search/")
        box = page.get_by_label("Search accounts, contacts, deals, notes, SOE steps and follow-ups")
        expect(box).to_be_focused()
        page.keyboard.type("Kestrel Componnets")
        page.keyboard.press("Enter")

    accounts = page.locator("#hits-accounts")
    expect(page.get_by_text("No contacts, deals, why notes,")).to_be_visible()
    expect(accounts.get_by_role("link", name="Kestrel Components")).to_be_visible()
    expect(accounts).not_to_contain_text("East")  # never what the manager may not see
    expect(accounts.locator("mark").first).to_have_text("Kestrel")
    screenshot(page, f"search-misspelt-account-{width}")

    page.goto(f"{live_server.url}/search/?q=kestrel+line")
    page.evaluate("window.__noReload = true")
    deals = page.locator("#hits-deals")
    expect(deals.locator("li")).to_have_count(PAGE_SIZE + 1)  # a page and "More deals…"
    expect(deals).to_contain_text("Book the <pilot>")  # the user's text, never markup
    more = deals.get_by_role("link", name="More deals…")
    more.focus()
    page.keyboard.press("Enter")
    expect(deals.locator("li")).to_have_count(PAGE_SIZE + 2)
    # The keyboard user lands on the first of the hits just added, not on the page's top.
    expect(deals.locator("li").nth(PAGE_SIZE).get_by_role("link")).to_be_focused()
    expect(deals.get_by_role("link", name="More deals…")).to_have_count(0)
    assert page.evaluate("window.__noReload") is True
    screenshot(page, f"search-more-deals-{width}")
    assert violations == []
