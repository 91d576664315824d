"""Sales ops answers a person's data-protection request from the contact's page: downloads
their data as JSON, then erases it, with the keyboard, at desktop and phone widths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from prospects.models import Contact, Erasure
from tests.core.test_browser import sign_in, watch_console
from tests.prospects.privacy.conftest import EMAIL, NAME

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_sales_ops_exports_then_erases_a_person(
    page: Page, live_server, sales_ops, person, screenshot, width, height
):
    violations = watch_console(page)
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server.url, sales_ops.username)
    page.goto(f"{live_server.url}/accounts/{person.contact.account_id}/")
    page.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    card = page.get_by_role("region", name="Data protection")
    expect(card).to_be_visible()
    screenshot(page, f"privacy-contact-{width}")

    export = card.get_by_role("link", name="Export JSON")
    with page.expect_download() as download_info:
        export.focus()
        page.keyboard.press("Enter")
    download = download_info.value
    assert download.suggested_filename == f"contact-{person.contact.pk}-export.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["contact"]["email"] == EMAIL
    assert data["soe_steps"][0]["proposed_by_them"] is True

    # From the export link, the next stop of the keyboard is "Erase…".
    export.focus()
    page.keyboard.press("Tab")
    expect(card.get_by_role("link", name="Erase…")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Erase {NAME}'s personal data")).to_be_visible()
    field = page.get_by_label("Type the contact's full name or email to confirm")
    expect(field).to_be_focused()
    page.keyboard.type("Helen Shaw")
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Type the contact's full name or email exactly as shown")
    ).to_be_visible()
    assert Contact.objects.get(pk=person.contact.pk).erased_at is None
    screenshot(page, f"privacy-erase-refused-{width}")

    field = page.get_by_label("Type the contact's full name or email to confirm")
    field.fill(NAME)
    field.press("Enter")
    expect(page.get_by_text("Erased. The contact's name, email and phone are gone")).to_be_visible()
    expect(page.get_by_role("heading", name="Erased contact")).to_be_visible()
    expect(page.get_by_text(f"Erased by {sales_ops.display_name} on")).to_be_visible()
    assert NAME not in page.content()
    assert Erasure.objects.get().contact_pk == person.contact.pk
    screenshot(page, f"privacy-erased-{width}")
    # The refused confirmation's 422 is the only thing the browser reports.
    assert len(violations) == 1, violations
    assert "status of 422" in violations[0]
