"""A rep works the deals table in the browser: filters it, sorts it, loads more, saves the
view, and finds it again; at desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from pipeline.deals.table import DEALS
from salesflow.core.lists.models import SavedView
from tests.core.test_browser import sign_in, watch_console
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_a_rep_filters_the_deals_table_and_saves_the_view(
    page: Page, live_server, rep, teammate, stages, open_deal, screenshot, width, height
):
    violations = watch_console(page)
    open_deal(
        rep,
        "Evaluation",
        account=AccountFactory(owner=rep, name="St Brigid's Hospital"),
        name="Ward rollout",
        value=48_000,
        expected_close_date="2030-03-01",
    )
    open_deal(
        rep,
        "Qualified",
        account=AccountFactory(owner=rep, name="Kestrel Components"),
        name="Line-stop alerts",
        value=60_000,
        expected_close_date="2030-02-01",
    )
    open_deal(teammate, "Evaluation", name="Theo's pilot", value=5_000)
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")
    if width >= 1280:
        nav = page.get_by_role("navigation", name="Main navigation")
        nav.get_by_role("link", name="Deals", exact=True).click()
    else:
        page.goto(f"{live_server.url}/deals/")
    # Opened bare: "My open deals", soonest expected close first.
    rows = page.locator("#deals-rows tr:not(.list-more)")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Line-stop alerts")
    expect(page.get_by_label("Select Ward rollout")).to_be_visible()

    # Filter to Evaluation: htmx swaps the table and the address keeps the filters.
    filters = page.locator("#deal-filters")
    filters.get_by_label("Stage", exact=True).select_option(label="Standard: Evaluation")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ward rollout")
    expect(page).to_have_url(re.compile(rf"stage={stages['Evaluation'].pk}"))
    screenshot(page, f"deal-table-filtered-{width}")

    # Save it, shared with the team, by keyboard.
    page.get_by_text("Save view", exact=True).first.click()
    name = page.get_by_label("Name this view")
    name.fill("My evaluations")
    page.get_by_label("Share with my team").check()
    name.press("Enter")
    expect(page.get_by_text("View “My evaluations” saved.")).to_be_visible()
    expect(rows).to_have_count(1)
    view = SavedView.objects.get()
    assert view.team_id == rep.team_id
    assert f"stage={stages['Evaluation'].pk}" in view.query
    screenshot(page, f"deal-table-saved-view-{width}")

    # The view is in the Views menu, for the rep and for a teammate.
    page.goto(f"{live_server.url}/deals/?sort=-value")
    page.get_by_role("button", name="Views").click()
    page.get_by_role("link", name="My evaluations").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ward rollout")
    assert violations == []


def test_load_more_appends_the_next_rows(page: Page, live_server, rep, open_deal, screenshot):
    violations = watch_console(page)
    DEALS.per_page = 3
    try:
        for i in range(5):
            open_deal(rep, name=f"Deal {i}", value=100 * (i + 1))
        page.set_viewport_size({"width": 1280, "height": 900})
        sign_in(page, live_server.url, rep.username)
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server.url}/deals/?status=open&sort=-value")
        rows = page.locator("#deals-rows tr:not(.list-more)")
        expect(rows).to_have_count(3)
        expect(page.locator("#deals-count")).to_have_text("1\u20133 of many")
        page.get_by_role("link", name="Load 3 more").click()
        expect(rows).to_have_count(5)
        expect(page.locator("#deals-count")).to_have_text("1\u20135 of 5")
        expect(rows.last).to_contain_text("Deal 0")
        expect(page.locator("#deals-more")).to_have_count(0)
        screenshot(page, "deal-table-loaded-more")
    finally:
        DEALS.per_page = 50
    assert violations == []
