"""Sales ops connect another system in the browser: add an endpoint, copy its secret, send a
test event that a real worker delivers to a real receiver, and read the delivery — at
1280 px and at 390 px, with the keyboard."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect
from standardwebhooks import Webhook

from salesflow.core.models import User
from tests.core.test_browser import sign_in, watch_console
from tests.factories import UserFactory
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_sales_ops_connect_a_receiver_and_see_the_test_event_arrive(
    page: Page, live_server, celery_worker_thread, receiver, screenshot
):
    violations = watch_console(page)
    base = live_server.url
    UserFactory(role=User.Role.SALES_OPS, first_name="Sam", username="sam")
    sign_in(page, base, "sam")
    page.get_by_role("button", name="Configure").click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
    page.get_by_role("link", name="Add an endpoint").click()

    page.get_by_label("URL").fill(f"{receiver.url}")
    page.get_by_label("Description").fill("Billing system")
    page.get_by_label("Deal won").check()
    page.get_by_label("Deal lost").check()
    screenshot(page, "webhooks-new-1280")
    page.get_by_role("button", name="Add endpoint").click()

    secret = page.get_by_role("textbox", name="Secret").input_value()
    assert secret.startswith("whsec_")
    expect(page.get_by_text("this is the only time salesflow shows it")).to_be_visible()
    screenshot(page, "webhooks-secret-1280")

    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_text("A test event is on its way")).to_be_visible()
    # The worker delivers it; the page shows it once it has.
    for _ in range(30):
        if receiver.received:
            break
        page.wait_for_timeout(500)
    (got,) = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["type"] == "ping"
    page.reload()
    expect(page.get_by_text("Delivered")).to_be_visible()
    expect(page.locator("code", has_text=got.webhook_id)).to_be_visible()
    assert json.loads(got.body)["type"] == "ping"
    screenshot(page, "webhooks-delivered-1280")

    # At phone width, with the keyboard: pause it, and the page says so.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Pause").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Paused: events are kept")).to_be_visible()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "webhooks-paused-390")
    assert violations == []
