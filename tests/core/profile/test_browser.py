"""The profile page in a browser: reached from the user menu, each section saved on its own,
a refusal shown by its field; at 1280 and at 390 px wide with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from salesflow.core.models import Notification
from tests.core.test_browser import sign_in, watch_console
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_rep_edits_their_profile_at_1280(page: Page, live_server, rep, screenshot):
    violations = watch_console(page)
    UserFactory(email="someone@example.test")
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, rep.username)
    expect(page).to_have_url(f"{base}/")

    page.get_by_role("button", name=rep.display_name).click()
    page.get_by_role("link", name="Your profile").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    for heading in ("Your details", "Time zone", "Email notifications", "Password"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("link", name="Manage API tokens")).to_be_visible()
    expect(page.get_by_role("link", name="Set up calendar feed")).to_be_visible()
    screenshot(page, "profile-1280")

    # Someone else's address is refused beside the field; nothing is saved.
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Email", exact=True).fill("SOMEONE@example.test")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("already has this email address")).to_be_visible()
    rep.refresh_from_db()
    assert rep.first_name == "Rita"
    screenshot(page, "profile-email-taken-1280")

    page.get_by_label("Email", exact=True).fill("rosa@example.test")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Your details are saved.")).to_be_visible()
    rep.refresh_from_db()
    assert (rep.first_name, rep.email) == ("Rosa", "rosa@example.test")

    page.get_by_label("Your time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_text("Times are now shown in Asia/Tokyo.")).to_be_visible()

    page.get_by_label("One of your follow-ups surfaces").uncheck()
    page.get_by_role("button", name="Save email notifications").click()
    expect(page.get_by_text("Your email notifications are saved.")).to_be_visible()
    expect(page.get_by_label("One of your follow-ups surfaces")).not_to_be_checked()
    expect(page.get_by_label("One of your webhooks is paused or disabled")).to_be_checked()
    rep.refresh_from_db()
    assert rep.time_zone == "Asia/Tokyo"
    assert rep.emails_muted == [Notification.Kind.FOLLOW_UP]
    screenshot(page, "profile-saved-1280")
    # The one refused form answered 422, which the browser reports; nothing else.
    assert [v for v in violations if "422" not in v] == []


def test_the_profile_at_390_with_the_keyboard(page: Page, live_server, rep, screenshot):
    violations = watch_console(page)
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, rep.username)
    page.goto(f"{base}/account/")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    _fits(page, 390)
    screenshot(page, "profile-390")

    # The section links lead to their forms; Enter in a field saves its own section.
    page.get_by_role("link", name="Password", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_label("Current password").focus()
    page.keyboard.type("correct-horse-battery-staple")
    page.keyboard.press("Tab")
    page.keyboard.type("a-slower-river-crossing-3")
    page.keyboard.press("Tab")
    # Past the rules' help text to the confirmation.
    while page.evaluate("document.activeElement.name") != "new_password2":
        page.keyboard.press("Tab")
    page.keyboard.type("a-slower-river-crossing-3")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    rep.refresh_from_db()
    assert rep.check_password("a-slower-river-crossing-3")
    _fits(page, 390)
    screenshot(page, "profile-password-390")

    page.get_by_label("Last name").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("Rivers")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your details are saved.")).to_be_visible()
    rep.refresh_from_db()
    assert rep.last_name == "Rivers"
    # Still signed in after the password change: this session was kept.
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    _fits(page, 390)
    assert violations == []
