"""Two-factor sign-in in the browser: a rep turns it on from the user menu and signs in
with it; sales ops, when it is required, are held at enrolment until they set it up."""

from __future__ import annotations

import re
from base64 import b32decode
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from salesflow.core.models import User
from tests.core.authenticator import code_at, enrolled, next_code
from tests.core.test_browser import sign_in, watch_console
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_from_page(page: Page) -> str:
    """What an authenticator app shows after the secret on the page is typed into it."""
    secret = page.locator("#twofactor-secret").inner_text().replace(" ", "")
    return code_at(b32decode(secret))


def test_a_rep_turns_on_two_factor_and_signs_in_with_it(page: Page, live_server, rep, screenshot):
    violations = watch_console(page)
    base = live_server.url
    sign_in(page, base, rep.username)
    expect(page).to_have_url(f"{base}/")

    page.get_by_role("button", name=rep.display_name).click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    expect(page.get_by_text("Signing in asks only for your password.")).to_be_visible()
    page.get_by_role("link", name="Set up two-factor sign-in").click()

    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    screenshot(page, "twofactor-enrol-1280")
    page.get_by_label("Code").fill("000000" if code_from_page(page) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("That code does not match")).to_be_visible()
    page.get_by_label("Code").fill(code_from_page(page))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as text").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert codes.first.inner_text() in text
    screenshot(page, "twofactor-codes-1280")
    page.get_by_role("button", name="I have kept them").click()
    expect(page.get_by_text("10 of your recovery codes are left")).to_be_visible()
    screenshot(page, "twofactor-settings-on-1280")

    # Sign out; signing in now takes the code too — typed with the keyboard alone.
    page.get_by_role("button", name=rep.display_name).click()
    page.get_by_role("button", name="Log out").click()
    # Signing out is a POST: let it land before the next navigation cancels it.
    expect(page).to_have_url(f"{base}/login/")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, rep.username)
    expect(page).to_have_url(re.compile(r"/account/two-factor/verify/\?next=/$"))
    expect(page.get_by_label("Code")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "twofactor-verify-390")
    page.keyboard.type(next_code(TOTPDevice.objects.get(user=rep)))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", name=f"Hello, {rep.first_name}")).to_be_visible()

    # Without the phone: a recovery code from the downloaded file, once.
    recovery = next(line for line in text.splitlines() if re.fullmatch(r"\w{4}-\w{4}", line))
    page.get_by_role("button", name="Toggle navigation").click()
    # The menu slides open; a click on it before it has is lost on a slow machine.
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_role("button", name=rep.display_name).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{base}/login/")
    sign_in(page, base, rep.username)
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("You signed in with a recovery code; 9 left.")).to_be_visible()
    screenshot(page, "twofactor-recovery-used-390")

    # Turning it off takes a current code.
    page.goto(f"{base}/account/two-factor/")
    page.get_by_role("textbox", name="Code").fill(next_code(TOTPDevice.objects.get(user=rep)))
    page.get_by_role("button", name="Turn off two-factor sign-in").click()
    expect(page.get_by_text("Two-factor sign-in is off.")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=rep).exists()
    # The wrong code's refusal (a 422, the form shown again) is all the browser reports.
    assert len(violations) == 1
    assert "status of 422" in violations[0]


@override_settings(SALESFLOW_REQUIRE_2FA=True)
def test_sales_ops_are_held_at_enrolment_until_they_set_it_up(page: Page, live_server, screenshot):
    violations = watch_console(page)
    base = live_server.url
    ops = UserFactory(role=User.Role.SALES_OPS, is_staff=True, first_name="Sam")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, ops.username)
    expect(page).to_have_url(re.compile(r"/account/two-factor/enrol/\?next="))
    expect(page.get_by_text("Your role signs in with two factors")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "twofactor-enrol-required-390")
    # Elsewhere is out of reach until then, the admin included.
    page.goto(f"{base}/admin/")
    expect(page).to_have_url(re.compile(r"/account/two-factor/enrol/\?next=/admin/"))

    # Keyboard only: to the code field, type, send.
    page.get_by_label("Code").focus()
    page.keyboard.type(code_from_page(page))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    screenshot(page, "twofactor-codes-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="I have kept them").press("Enter")
    expect(page).to_have_url(f"{base}/admin/")
    assert violations == []


def test_guessing_codes_ends_in_the_lock_out(page: Page, live_server, rep, screenshot):
    device, _ = enrolled(rep)
    base = live_server.url
    sign_in(page, base, rep.username)
    wrong = "000000" if next_code(device) != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        page.get_by_label("Code").fill(wrong)
        page.get_by_label("Code").press("Enter")
        expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Code").fill(wrong)
    page.get_by_label("Code").press("Enter")
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    screenshot(page, "twofactor-locked-out-1280")
    # Signed out: the password alone does not get back in either.
    sign_in(page, base, rep.username)
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
