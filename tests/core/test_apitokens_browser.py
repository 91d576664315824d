"""API tokens in the browser: a rep makes one from the user menu, sees its secret once,
finds only its prefix after a reload, and revokes it; at 390 px wide with the keyboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from salesflow.core.apitokens import services
from salesflow.core.apitokens.models import ApiToken
from tests.core.test_browser import sign_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_makes_a_token_sees_it_once_and_revokes_it(page: Page, live_server, rep, screenshot):
    violations = watch_console(page)
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, rep.username)
    expect(page).to_have_url(f"{base}/")

    page.get_by_role("button", name=rep.display_name).click()
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_text("You have no API tokens yet.")).to_be_visible()

    # A day in the past is refused with a message, and nothing is made.
    page.get_by_label("Name").fill("Reporting spreadsheet")
    page.get_by_label("Expires on").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_text("Pick a day after today")).to_be_visible()
    assert not ApiToken.objects.exists()

    day = timezone.localdate() + timedelta(days=90)
    page.get_by_label("Expires on").fill(day.isoformat())
    page.get_by_role("button", name="Make token").click()

    secret_box = page.get_by_label("Token", exact=True)
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    token = ApiToken.objects.get(user=rep)
    assert token.key_hash == services.hash_secret(secret)
    assert secret.startswith(token.prefix)
    expect(page.get_by_text("this is the only time salesflow shows it")).to_be_visible()
    expect(page.get_by_text(f"{token.prefix}…")).to_be_visible()
    screenshot(page, "apitokens-created-1280")

    # The secret works, and the page then says when it was last used.
    assert services.apitoken_authenticate(secret) is not None

    page.reload()
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)
    assert secret not in page.content()
    expect(page.get_by_text(f"{token.prefix}…")).to_be_visible()
    expect(page.get_by_text(f"end of {day.day} {day.strftime('%b')} {day.year}")).to_be_visible()
    screenshot(page, "apitokens-list-1280")

    # On a phone, with the keyboard alone: a second token, then revoke the first.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.get_by_label("Name").focus()
    page.keyboard.type("Phone script")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Token", exact=True)).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "apitokens-created-390")

    page.get_by_role("button", name="Revoke “Reporting spreadsheet”").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("“Reporting spreadsheet” is revoked")).to_be_visible()
    expect(page.locator(".badge", has_text="Revoked")).to_be_visible()
    expect(page.get_by_role("button", name="Revoke “Reporting spreadsheet”")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "apitokens-revoked-390")
    assert services.apitoken_authenticate(secret) is None
    # The one refused form above answered 422, which the browser reports; nothing else.
    assert len(violations) == 1
    assert "status of 422" in violations[0]
