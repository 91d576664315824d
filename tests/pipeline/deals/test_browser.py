"""A rep works the board in the browser: drag a card, see totals change, see a refusal."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pipeline.deals import services as deal_services
from pipeline.deals.models import Opportunity, StageChange
from pipeline.followups import services as followup_services
from tests.core.test_browser import sign_in, watch_console
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag(page: Page, card, column) -> None:
    """Press on the card (on its value, not a link), move over the column in small steps,
    let go (as a hand would)."""
    start = card.locator(".deal-value").bounding_box()
    end = column.bounding_box()
    page.mouse.move(start["x"] + 5, start["y"] + 5)
    page.mouse.down()
    steps = 12
    for step in range(1, steps + 1):
        page.mouse.move(
            start["x"] + (end["x"] + end["width"] / 2 - start["x"]) * step / steps,
            start["y"] + (end["y"] + 40 - start["y"]) * step / steps,
        )
    page.mouse.up()


def head(page: Page, stage) -> str:
    return page.locator(f"#column-head-{stage.pk}").inner_text()


def test_rep_drags_a_card_and_the_totals_follow_and_a_refused_drag_snaps_back(
    page: Page, live_server, rep, stages, open_deal, screenshot
):
    violations = watch_console(page)
    account = AccountFactory(owner=rep, name="St Brigid's Hospital")
    deal = open_deal(rep, "Qualified", account=account, name="Patient flow", value=48_000)
    other = open_deal(
        rep,
        "Qualified",
        account=AccountFactory(owner=rep, name="Kestrel Components"),
        name="Line-stop alerts",
        value=60_000,
    )
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")  # let the home page finish before leaving it
    page.goto(f"{live_server.url}/board/")
    qualified, solution = stages["Qualified"], stages["Solution development"]
    expect(page.locator(f"#column-head-{qualified.pk}")).to_contain_text("2 deals · 108,000 EUR")
    expect(page.locator(f"#column-head-{solution.pk}")).to_contain_text("0 deals")

    drag(page, page.locator(f"#deal-{deal.pk}"), page.locator(f"#cards-{solution.pk}"))

    expect(page.locator(f"#cards-{solution.pk} #deal-{deal.pk}")).to_be_visible()
    expect(page.locator(f"#column-head-{solution.pk}")).to_contain_text("1 deal · 48,000 EUR")
    expect(page.locator(f"#column-head-{qualified.pk}")).to_contain_text("1 deal · 60,000 EUR")
    assert Opportunity.objects.get(pk=deal.pk).stage == solution
    assert StageChange.objects.filter(opportunity=deal).count() == 2
    screenshot(page, "board-after-drag")

    # Someone else moves the other card meanwhile; this page still shows it in Qualified.
    deal_services.opportunity_move_stage(actor=rep, opportunity=other, to_stage=stages["Decision"])
    drag(page, page.locator(f"#deal-{other.pk}"), page.locator(f"#cards-{stages['Evaluation'].pk}"))
    expect(page.get_by_role("alert")).to_contain_text("Someone moved this deal meanwhile")
    expect(page.locator(f"#cards-{qualified.pk} #deal-{other.pk}")).to_be_visible()
    expect(page.locator(f"#deal-{other.pk} select[name=stage]")).to_have_value(str(qualified.pk))
    assert Opportunity.objects.get(pk=other.pk).stage == stages["Decision"]
    screenshot(page, "board-refused-drag-snapped-back")
    # The refusal is the only "error" the page saw: the 409 the browser logs for it.
    assert [v for v in violations if "409" not in v] == []


def test_keyboard_and_phone_move_with_the_cards_select(
    page: Page, live_server, rep, stages, open_deal, screenshot
):
    deal = open_deal(
        rep,
        "Lead",
        account=AccountFactory(owner=rep, name="Riverside Academy"),
        name="Parent messaging",
        value=15_000,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/board/")
    select = page.get_by_label("Move Riverside Academy to")
    select.focus()
    select.select_option(label="Evaluation")
    page.keyboard.press("Tab")
    expect(page.locator(f"#deal-{deal.pk} button")).to_be_focused()
    page.keyboard.press("Enter")
    evaluation = stages["Evaluation"]
    expect(page.locator(f"#cards-{evaluation.pk} #deal-{deal.pk}")).to_be_attached()
    expect(page.locator(f"#column-head-{evaluation.pk}")).to_contain_text("1 deal · 15,000 EUR")
    # The keyboard user keeps their place: focus is on the moved card's select.
    expect(page.locator(f"#cards-{evaluation.pk} #deal-{deal.pk} select")).to_be_focused()
    assert Opportunity.objects.get(pk=deal.pk).stage == evaluation
    screenshot(page, "board-phone-after-select-move")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_a_marinating_deals_card_says_so_where_a_stuck_one_says_stuck(
    page: Page, live_server, rep, stages, open_deal, screenshot, width, height
):
    from tests.pipeline.deals.test_stuck import idle

    violations = watch_console(page)
    held = open_deal(
        rep,
        "Evaluation",
        account=AccountFactory(owner=rep, name="St Brigid's Hospital"),
        name="Ward rollout",
        value=48_000,
    )
    quiet = open_deal(
        rep,
        "Evaluation",
        account=AccountFactory(owner=rep, name="Kestrel Components"),
        name="Line-stop alerts",
        value=60_000,
    )
    for deal in (held, quiet):
        idle(deal, 40)
    deal_services.opportunities_mark_stuck()
    # A dragging evaluation is not chased: the follow-up is held back a week.
    followup_services.followup_create(
        actor=rep, account=held.account, opportunity=held, purpose="Ask how the pilot went"
    )
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/board/")
    card = page.locator(f"#deal-{held.pk}")
    expect(card).to_contain_text("Marinating: follow-up held until")
    expect(card).not_to_contain_text("Stuck")
    expect(page.locator(f"#deal-{quiet.pk}")).to_contain_text("Stuck — revisit the why")
    card.scroll_into_view_if_needed()
    # The note stays inside the card, however narrow the column.
    badge, body = card.locator(".badge").bounding_box(), card.bounding_box()
    assert badge["x"] + badge["width"] <= body["x"] + body["width"]
    whole = screenshot(page, f"board-marinating-card-{width}")
    card.screenshot(path=str(whole.with_name(f"board-marinating-card-{width}-card.png")))
    card.get_by_role("link", name="St Brigid's Hospital").click()
    expect(page.get_by_role("status").first).to_contain_text("Marinating, not stuck")
    screenshot(page, f"deal-marinating-{width}")
    assert violations == []
