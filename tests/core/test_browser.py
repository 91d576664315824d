"""Browser journeys through Debian's Chromium, driven by Playwright, against the live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_console(page: Page) -> list[str]:
    """Collect what would tell a developer a page is broken: script errors, console errors
    (which include Content-Security-Policy violations) and failed requests."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # A request the browser abandoned because the page navigated away (a board's poll in
    # flight when a form is submitted) is not a failure; any other failure is.
    page.on(
        "requestfailed",
        lambda request: (
            problems.append(f"request failed: {request.url} ({request.failure})")
            if request.failure != "net::ERR_ABORTED"
            else None
        ),
    )
    return problems


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_rep_signs_in_and_sees_the_home_page(page: Page, live_server, rep, teammate, screenshot):
    violations = watch_console(page)
    sign_in(page, live_server.url, rep.username)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name=f"Hello, {rep.first_name}")).to_be_visible()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.get_by_text(teammate.display_name)).to_be_visible()
    screenshot(page, "home-rep-desktop")
    assert violations == []


def test_home_works_at_phone_width_with_the_keyboard(page: Page, live_server, rep, screenshot):
    violations = watch_console(page)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, rep.username)
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    # The page never scrolls sideways at phone width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Keyboard only: skip link first, then the brand, then the menu toggler.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    toggler = page.get_by_role("button", name="Toggle navigation")
    expect(toggler).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    expect(page.get_by_role("link", name="Accounts")).to_be_visible()
    screenshot(page, "home-rep-phone-menu")

    # Every control of the menu in turn, then the user menu; arrows reach "Log out".
    for control in (
        page.get_by_role("link", name="Home"),
        page.get_by_role("link", name="Accounts"),
        page.get_by_role("link", name="Contacts"),
        page.get_by_role("link", name="Deals"),
        page.get_by_role("link", name="Board"),
        page.get_by_role("link", name="Reviews"),
        page.get_by_role("searchbox", name="Search"),
        page.get_by_role("link", name="Log a conversation"),
        page.get_by_role("link", name="Notifications"),
        page.get_by_role("button", name=rep.display_name),
    ):
        page.keyboard.press("Tab")
        expect(control).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Your profile")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Change password")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Two-factor sign-in")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="API tokens")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Calendar feed")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("button", name="Log out")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/login/")
    assert violations == []


def test_login_page_screenshot_and_wrong_password(page: Page, live_server, rep, screenshot):
    violations = watch_console(page)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(rep.username)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    screenshot(page, "login-wrong-password")
    assert violations == []
