"""The API's documentation pages render from salesflow's own static files under the
strict CSP: no request leaves the server, nothing is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.core.test_browser import sign_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _outside_requests(page: Page, base_url: str) -> list[str]:
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((base_url, "data:", "blob:"))
            else None
        ),
    )
    return outside


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_swagger_ui_renders_the_schema_from_static_files(
    page: Page, live_server, rep, screenshot, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    violations = watch_console(page)
    outside = _outside_requests(page, live_server.url)
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_role("heading", name="salesflow API")).to_be_visible()
    for operation in (
        "GET /api/v1/accounts/{id}/ One account",
        "PATCH /api/v1/accounts/{id}/ Change an account",
        "POST /api/v1/contacts/ Add a contact to an account",
    ):
        expect(page.get_by_role("button", name=operation)).to_be_visible()
    # The page's scripts and styles are salesflow's static files, none from a CDN.
    scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in src for src in scripts)
    assert page.eval_on_selector_all("script:not([src])", "els => els.length") == 0

    # An operation opens from the keyboard.
    operation = page.get_by_role(
        "button", name="GET /api/v1/accounts/ List the accounts you can see"
    )
    operation.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    screenshot(page, f"api-docs-swagger-{width}")
    assert outside == []
    assert violations == []


def test_redoc_renders_the_schema_from_static_files(page: Page, live_server, rep, screenshot):
    violations = watch_console(page)
    outside = _outside_requests(page, live_server.url)
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/api/redoc/")
    # Redoc lays out the whole schema before it shows its title, and the schema grows with
    # every endpoint: on a busy machine that takes longer than the usual five seconds.
    expect(page.get_by_role("heading", name="salesflow API").first).to_be_visible(timeout=30_000)
    expect(
        page.get_by_role("heading", name=re.compile("List the accounts you can see"))
    ).to_be_visible()
    screenshot(page, "api-docs-redoc-1280")
    # Redoc, as vendored, always asks for its makers' logo from their CDN: the CSP refuses
    # it before any request leaves. That refusal is the only one, and the only address.
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert outside in ([], [logo])
    assert [v for v in violations if logo not in v] == []
