"""A rep builds a Sequence of Events in the browser, as the prospect described it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pipeline.soe.models import SoeStep, SoeTemplate, SoeTemplateStep
from tests.core.test_browser import sign_in, watch_console
from tests.factories import AccountFactory, ContactFactory, SegmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_builds_an_soe_from_a_template_and_sees_the_lukewarm_warning_on_the_board(
    page: Page, live_server, rep, stages, open_deal, log_yes, screenshot
):
    violations = watch_console(page)
    hospitals = SegmentFactory(name="Hospitals")
    template = SoeTemplate.objects.create(name="Hospitals: how they buy", segment=hospitals)
    for position, text in enumerate(["IT security review", "Pilot on two wards", "Board approval"]):
        SoeTemplateStep.objects.create(template=template, position=position, text=text)
    account = AccountFactory(owner=rep, name="St Brigid's Hospital", segment=hospitals)
    ContactFactory(account=account, name="Helen Shaw", buying_role="champion")
    log_yes(account)
    deal = open_deal(rep, "Qualified", account=account, name="Patient flow", value=48_000)
    # Tall enough that the whole list of steps is on screen while dragging.
    page.set_viewport_size({"width": 1300, "height": 1600})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/deals/{deal.pk}/soe/")
    page.get_by_label("Start from").select_option(label="Hospitals: how they buy (Hospitals)")
    page.get_by_role("button", name="Start the SOE").click()
    expect(page.locator(".soe-step")).to_have_count(3)

    # A step in the prospect's words, with who proposed it and in which conversation.
    page.get_by_label("The step, in their words").fill("Finance wants a one-page business case")
    page.get_by_label("Proposed by").select_option(label="Helen Shaw")
    page.get_by_label("From the conversation").select_option(index=1)
    page.get_by_label("Where").select_option(label="Before step 3")
    page.get_by_role("button", name="Add the step").click()
    expect(page.locator(".soe-step").nth(2)).to_contain_text(
        "Finance wants a one-page business case"
    )
    expect(page.locator(".soe-step").nth(2)).to_contain_text("Proposed by Helen Shaw")

    # Reorder by dragging the last step's handle above the first.
    handle = page.locator(".soe-step").nth(3).locator(".drag-handle")
    target = page.locator(".soe-step").nth(0)
    start, end = handle.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 6)
    page.mouse.down()
    for step in range(1, 21):  # a hand's pace: Sortable reacts to each dragover
        page.mouse.move(
            start["x"] + 4 + step, start["y"] + 6 + (end["y"] + 4 - start["y"]) * step / 20
        )
        page.wait_for_timeout(20)
    page.mouse.up()
    expect(page.locator(".soe-step").nth(0)).to_contain_text("Board approval")

    # Done out of order: the third step first.
    third = page.locator(".soe-step").nth(2)
    third.get_by_role("button", name="Done").click()
    expect(page.locator(".soe-step").nth(2)).to_contain_text("Done")
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "1")
    expect(page.locator("strong", has_text="1 of 4")).to_be_visible()

    page.get_by_label("How did they receive it?").select_option(label="Lukewarm")
    said = "Helen said it felt like our plan, not theirs"
    page.get_by_label("What they said about it").fill(said)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Received lukewarm")).to_be_visible()
    screenshot(page, "soe-built-from-template")

    steps = list(SoeStep.objects.filter(sequence__opportunity=deal).order_by("position"))
    assert steps[0].text == "Board approval"
    assert [s.status for s in steps].count("done") == 1

    page.goto(f"{live_server.url}/board/")
    expect(page.locator(f"#deal-{deal.pk}")).to_contain_text("SOE lukewarm")
    screenshot(page, "board-card-with-soe-warning")

    page.goto(f"{live_server.url}/deals/{deal.pk}/soe/letter/?version=full")
    expect(page.get_by_text("Dear Helen Shaw")).to_be_visible()
    page.emulate_media(media="print")
    screenshot(page, "soe-letter")
    assert [v for v in violations if "favicon" not in v] == []


@pytest.mark.parametrize("width", [1280, 390])
def test_each_soe_steps_action_buttons_stay_on_one_line(
    page: Page, live_server, rep, deal, width, screenshot
):
    from pipeline.soe import services as soe_services

    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    for text in (
        "IT security review with the trust's information governance lead",
        "Pilot on two wards",
        "Board approval",
    ):
        soe_services.soe_step_add(actor=rep, sequence=sequence, text=text)
    soe_services.soe_step_done(actor=rep, step=sequence.steps.get(text="Pilot on two wards"))
    violations = watch_console(page)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/deals/{deal.pk}/soe/")
    expect(page.locator(".soe-step")).to_have_count(3)
    screenshot(page, f"soe-step-actions-{width}")
    buttons = page.evaluate(
        """() => [...document.querySelectorAll('.soe-step .btn')].map((button) => {
            const style = getComputedStyle(button);
            // One line of text: the button is no taller than its line height plus padding
            // and borders, and nothing in it is cut off.
            const oneLine = parseFloat(style.lineHeight) + parseFloat(style.paddingTop)
                + parseFloat(style.paddingBottom) + parseFloat(style.borderTopWidth)
                + parseFloat(style.borderBottomWidth);
            const shown = button.cloneNode(true);
            shown.querySelectorAll('.visually-hidden').forEach((hidden) => hidden.remove());
            return {text: shown.textContent.trim(), height: button.getBoundingClientRect().height,
                    oneLine, fits: button.scrollWidth <= button.clientWidth};
        })"""
    )
    assert {button["text"] for button in buttons} >= {"Done", "Skip", "Reopen", "Edit"}
    for button in buttons:
        assert button["height"] <= button["oneLine"] + 1, button
        assert button["fits"], button
    # The reason box keeps room to type in, and the page never scrolls sideways.
    assert page.get_by_label("Why skip “Board approval”?").bounding_box()["width"] >= 120
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert violations == []
