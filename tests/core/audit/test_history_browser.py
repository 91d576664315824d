"""In a browser: a deal's value is edited, then its History tab (opened with the keyboard,
at phone width) shows the line saying who changed it, from what to what, and where."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from pipeline.deals.models import Opportunity
from salesflow.core.audit.context import audit_context
from tests.core.test_browser import sign_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_history_tab_shows_the_value_change_at_phone_width(
    page: Page, live_server, rep, deal, screenshot
):
    violations = watch_console(page)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, rep.username)

    page.goto(f"{live_server.url}/deals/{deal.pk}/edit/")
    page.get_by_label("Value").fill("17500")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page).to_have_url(f"{live_server.url}/deals/{deal.pk}/")

    # The tab, reached and opened from the keyboard, loads in place (htmx) and takes focus.
    tab = page.get_by_role("link", name="History", exact=True)
    tab.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/deals/{deal.pk}/history/")
    heading = page.get_by_role("heading", name="History", exact=True)
    expect(heading).to_be_focused()
    line = page.locator(".history-line").first
    expect(line).to_contain_text(f"{rep.display_name} changed value 48,000 → 17,500")
    expect(line).to_contain_text("from the deal page")
    expect(page.get_by_role("link", name="History", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    # The page never scrolls sideways at phone width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "deal-history-390")

    # Older changes come in place of "Show older", and the keyboard lands on the first.
    with audit_context(door="page", detail=f"/deals/{deal.pk}/edit/", user=rep.pk):
        for n in range(30):
            Opportunity.objects.filter(pk=deal.pk).update(next_step=f"Call {n}")
    page.reload()
    more = page.get_by_role("link", name="Show older")
    more.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".history-line").nth(25)).to_be_focused()
    expect(page.locator(".history-line")).to_have_count(32)
    expect(page.get_by_role("link", name="Show older")).to_have_count(0)
    expect(page.locator(".history-line").nth(30)).to_contain_text("changed value 48,000 → 17,500")

    # The same address, opened directly (a reload, a shared link), is the whole page.
    page.goto(f"{live_server.url}/deals/{deal.pk}/history/?before=999999999")
    expect(page.locator(".history-line").first).to_contain_text("next step Call 28 → Call 29")
    page.get_by_role("link", name="Overview").click()
    expect(page).to_have_url(f"{live_server.url}/deals/{deal.pk}/")

    # The account's tab, opened as a plain page (a link followed without htmx).
    page.goto(f"{live_server.url}/accounts/{deal.account_id}/history/")
    expect(page.get_by_role("heading", name=deal.account.name, level=1)).to_be_visible()
    expect(page.locator(".history-line").first).to_contain_text("created this account")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "account-history-390")
    assert violations == []


def test_sales_ops_filter_the_audit_page_by_door_from_the_keyboard_at_phone_width(
    page: Page, live_server, rep, sales_ops, screenshot
):
    from prospects.models import Account
    from salesflow.core import services as core_services
    from tests.factories import AccountFactory

    core_services.user_apply_role(user=sales_ops)
    sales_ops.save()
    account = AccountFactory(owner=rep, name="Northwind")
    with audit_context(door="page", detail=f"/accounts/{account.pk}/edit/", user=rep.pk):
        Account.objects.filter(pk=account.pk).update(name="Northwind Clinics")
    violations = watch_console(page)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, sales_ops.username)

    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("button", name="Configure").click()
    page.get_by_role("link", name="Audit history").click()
    expect(page.get_by_role("heading", name="Audit history")).to_be_visible()

    door = page.get_by_label("Through")
    door.focus()
    door.select_option("page")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"door=page"))
    line = page.locator(".history-line").first
    expect(line).to_contain_text(f"{rep.display_name} changed account Northwind Clinics")
    expect(line).to_contain_text("name Northwind → Northwind Clinics")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "audit-page-390")
    assert violations == []
