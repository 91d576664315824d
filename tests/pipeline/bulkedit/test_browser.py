"""A rep bulk-moves three deals from the deals table, on a desk and on a phone, and reads
the summary: a teammate's deal ticked with them is refused as read-only, and stays put."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pipeline.bulkedit.models import BulkEdit
from pipeline.deals.models import Opportunity
from tests.core.test_browser import sign_in, watch_console
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["St Brigid's Hospital", "Kestrel Components", "Hillside Primary", "Northgate Clinic"]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_rep_ticks_three_deals_and_moves_them_at_once(
    page: Page, live_server, rep, teammate, stages, open_deal, screenshot, width, height
):
    violations = watch_console(page)
    deals = [
        open_deal(rep, "Qualified", account=AccountFactory(owner=rep, name=name), value=10_000 * n)
        for n, name in enumerate(NAMES, start=1)
    ]
    picked, left = deals[:3], deals[3]
    theirs = open_deal(
        teammate, "Qualified", account=AccountFactory(owner=teammate, name="Elm Park Surgery")
    )
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/deals/?status=open&sort=name")

    bar = page.locator("#bulk-form")
    expect(bar).to_be_visible()
    # Before an action is chosen, none of the actions' fields shows.
    expect(page.get_by_label("Move to")).to_be_hidden()
    for deal in [*picked, theirs]:
        page.get_by_label(f"Select {deal}").check()
    expect(bar.locator("[data-bulk-count]")).to_have_text("4 ticked")
    # By keyboard: the action, then its field, as the bar shows it.
    page.get_by_label("Change", exact=True).focus()
    page.get_by_label("Change", exact=True).select_option(label="Move to a stage")
    stage = page.get_by_label("Move to")
    expect(stage).to_be_visible()
    expect(page.get_by_label("New owner")).to_be_hidden()
    stage.select_option(label=f"{stages['Evaluation']}")
    page.get_by_label("Note on each move").fill("Pilot agreed at the steering group")
    screenshot(page, f"bulk-bar-{width}")

    page.get_by_role("button", name="Apply to the ticked deals").press("Enter")

    expect(page.locator("#bulk-summary")).to_have_text("3 moved, 1 refused.")
    # The refusals first, with the reason and a link to the deal.
    expect(page.get_by_role("link", name=f"{theirs.account.name} — {theirs.name}")).to_be_visible()
    expect(page.get_by_text("This deal is read-only for you.")).to_be_visible()
    screenshot(page, f"bulk-summary-{width}")
    changed = page.get_by_role("link", name="Changed (3)")
    changed.focus()
    changed.press("Enter")
    for deal in picked:
        expect(page.get_by_role("link", name=f"{deal.account.name} — {deal.name}")).to_be_visible()
    expect(page.get_by_text("Moved from Qualified to Evaluation.")).to_have_count(3)
    screenshot(page, f"bulk-summary-moved-{width}")

    job = BulkEdit.objects.get()
    assert (job.status, job.changed_count, job.refused_count) == ("done", 3, 1)
    for deal in picked:
        assert Opportunity.objects.get(pk=deal.pk).stage == stages["Evaluation"]
    assert Opportunity.objects.get(pk=left.pk).stage == stages["Qualified"]
    assert Opportunity.objects.get(pk=theirs.pk).stage == stages["Qualified"]
    assert violations == []
    if width == 390:
        # Nothing wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
