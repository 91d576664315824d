"""A rep imports a file on a phone-sized screen: upload, say what the columns hold (with the
keyboard), and read what the import did."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from prospects.models import Account, Contact
from tests.core.test_browser import sign_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    b"Company,Web,Person,E-mail,Shoe size\n"
    b"Kestrel Components,kestrel.example,Lars Berg,lars@k.example,44\n"
)


def test_rep_maps_the_columns_of_a_file_and_imports_it_at_390px(
    page: Page, live_server, rep, screenshot
):
    violations = watch_console(page)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/accounts/import/")
    page.get_by_label("What the file holds").select_option("accounts")
    page.get_by_label("CSV file").set_input_files(
        {"name": "fair.csv", "mimeType": "text/csv", "buffer": FILE}
    )
    page.get_by_role("button", name="Upload and map the columns").click()

    expect(
        page.get_by_role("heading", name="What do the columns of fair.csv hold?")
    ).to_be_visible()
    expect(page.get_by_label("company")).to_have_value("account_name")
    expect(page.get_by_label("web")).to_have_value("website")
    expect(page.get_by_label("shoe size")).to_have_value("")
    # The keyboard reaches every select: the person column is left out, by arrow keys.
    page.get_by_label("person").focus()
    page.keyboard.press("Home")
    expect(page.get_by_label("person")).to_have_value("")
    page.get_by_label("person").select_option("contact_name")
    page.get_by_label("Save this mapping as").fill("Trade fair")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "import-mapping-390")
    page.get_by_role("button", name="Check and import").click()

    expect(page.get_by_text("Accounts: 1 created, 0 updated, 0 unchanged.")).to_be_visible()
    expect(page.get_by_text("Contacts: 1 created, 0 updated, 0 unchanged.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "import-report-390")
    assert Account.objects.get().website == "https://kestrel.example"
    assert Contact.objects.get().email == "lars@k.example"
    assert violations == []
