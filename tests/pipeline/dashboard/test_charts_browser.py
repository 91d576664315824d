"""A manager opens the dashboard, narrows it to one segment, and the charts redraw."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.core.test_browser import sign_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VELOCITY = "Chart.getChart(document.querySelector('[data-chart=velocity]'))"
FUNNEL = (
    "() => Chart.getChart(document.querySelector('[data-chart=funnel]'))?.data.datasets[0].data"
)


def drawn(page: Page, expected: list) -> list:
    """Wait (up to 10 s) for the funnel chart to show `expected`. Polled from here: the
    page's CSP forbids the eval that page.wait_for_function would need."""
    for _ in range(100):
        if (
            shown := page.evaluate("() => typeof Chart !== 'undefined' && " + FUNNEL[6:])
        ) == expected:
            return shown
        page.wait_for_timeout(100)
    return shown


def test_a_filter_change_redraws_the_charts(page: Page, live_server, manager, history, screenshot):
    violations = watch_console(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, manager.username)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/dashboard/?start=2026-01-01&end=2026-06-30")
    # Every deal opened in the period: Lead 6, Qualified 4, then 2 onwards (see `history`).
    assert drawn(page, [6, 4, 2, 2, 2]) == [6, 4, 2, 2, 2]
    velocity = page.evaluate(f"() => {VELOCITY}.data.datasets[0].data")
    assert velocity[1:3] == [266.67, 142.86]  # February and March
    screenshot(page, "dashboard-whole-team")

    # Schools only: D (disqualified), E and F — no filter button, the change is enough.
    page.get_by_label("Segment", exact=True).select_option(label="Schools")
    assert drawn(page, [3, 1, 0, 0, 0]) == [3, 1, 0, 0, 0]
    expect(page).to_have_url(
        f"{live_server.url}/dashboard/?team=&owner=&pipeline=&segment={history['D'].account.segment_id}&lead_source=&start=2026-01-01&end=2026-06-30"
    )
    expect(page.locator("#funnel-heading")).to_be_visible()
    assert page.evaluate(f"() => {VELOCITY}.data.datasets.length") == 0
    expect(page.get_by_text("Nothing closed in the period.")).to_be_attached()
    screenshot(page, "dashboard-filtered-to-schools")
    # The narrowed view is an address to share: opening it shows the same figures.
    page.reload()
    assert drawn(page, [3, 1, 0, 0, 0]) == [3, 1, 0, 0, 0]
    assert violations == []
