"""Password reset in the browser, at phone width with the keyboard: forgot password, the
emailed link (read from the outbox, where the email waits for its sender), a new password,
then sign in with it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from salesflow.core.models import OutboxMessage
from tests.core.test_browser import watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-brand-new-long-passphrase-42"


def test_a_rep_resets_a_forgotten_password_and_signs_in_with_it(
    page: Page, live_server, rep, screenshot
):
    violations = watch_console(page)
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    # Keyboard only: type the address and press Enter.
    page.get_by_label("Email").focus()
    page.keyboard.type(rep.email)
    screenshot(page, "password-reset-ask-390")
    page.keyboard.press("Enter")
    expect(page.get_by_text("If an account uses this address")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "password-reset-sent-390")

    body = OutboxMessage.objects.get(recipient=rep.email).body
    link = re.search(r"https?://\S+/password/reset/\S+/", body)
    assert link, body
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.locator("#id_new_password1").fill("12345678")
    page.locator("#id_new_password2").fill("12345678")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_text("This password is too common.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "password-reset-weak-390")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    expect(page.get_by_role("heading", name="Your password has been changed")).to_be_visible()
    screenshot(page, "password-reset-complete-390")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(rep.username)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/")
    assert violations == []
