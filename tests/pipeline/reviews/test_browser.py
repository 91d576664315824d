"""A whole plusses/deltas review in three browsers at once: sales ops facilitates, two reps
take part. Each phase the facilitator moves on reaches the others' screens by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pipeline.reviews.models import Action, Group, Item, Review
from tests.core.test_browser import sign_in, watch_console
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The board polls every 3 s: a phase move or a reveal shows within this.
FOLLOWS = 10_000


def phase(page: Page, label: str) -> None:
    """Wait until this screen shows the review at `label`, without anyone reloading it."""
    expect(page.locator("[aria-current=step]")).to_contain_text(label, timeout=FOLLOWS)


@pytest.fixture
def contexts(browser):
    """Browser contexts closed before the database goes: their boards poll till then."""
    opened = []
    yield lambda **options: opened.append(browser.new_context(**options)) or opened[-1]
    for context in opened:
        context.close()


def test_a_review_from_set_up_to_summary_in_three_browsers(
    contexts, live_server, rep, teammate, stages, screenshot
):
    ops = UserFactory(role="sales_ops", first_name="Sam", last_name="Ops")
    pages: dict[str, Page] = {}
    problems: dict[str, list[str]] = {}
    for name, user, width in (("sam", ops, 1280), ("rita", rep, 1280), ("theo", teammate, 390)):
        context = contexts(viewport={"width": width, "height": 900})
        pages[name] = page = context.new_page()
        problems[name] = watch_console(page)
        sign_in(page, live_server.url, user.username)
        expect(page).to_have_url(f"{live_server.url}/")
    sam, rita, theo = pages["sam"], pages["rita"], pages["theo"]

    # 1. Set up, in the browser.
    sam.get_by_role("link", name="Reviews").first.click()
    sam.get_by_role("link", name="New review").click()
    sam.get_by_label("Title").fill("Q4 look back")
    sam.get_by_label("Rita Rep").check()
    sam.get_by_label("Theo Mate").check()
    sam.get_by_role("button", name="Set up the review").click()
    review = Review.objects.get(title="Q4 look back")
    board = f"{live_server.url}/reviews/{review.pk}/"
    expect(sam).to_have_url(board)
    sam.get_by_role("button", name="Add facts from the data").click()
    for page in (rita, theo):
        page.goto(f"{live_server.url}/reviews/")
        page.get_by_role("link", name="Q4 look back").click()
        phase(page, "Set up")
    screenshot(sam, "review-1-setup-facilitator")

    # 2. Write privately: the participants' screens open the writing form by themselves.
    sam.get_by_role("button", name="Move on to the next phase").click()
    for page in (rita, theo):
        phase(page, "Write privately")
    for page, plus, delta in (
        (rita, "Whys asked in the first call", "SOE shared after the demo"),
        (theo, "Held follow-ups gave buyers room", "SOE skipped when rushed"),
    ):
        for kind, text in (("Plus", plus), ("Delta", delta)):
            page.get_by_label("Kind").select_option(label=kind)
            page.get_by_label("What works, or what to change").fill(text)
            page.get_by_role("button", name="Add", exact=True).click()
            expect(page.get_by_role("listitem").filter(has_text=text)).to_have_count(1)
    expect(rita.get_by_text("SOE skipped when rushed")).to_have_count(0)  # private
    expect(theo.get_by_text("SOE shared after the demo")).to_have_count(0)
    expect(sam.get_by_text("Rita Rep 2 · Theo Mate 2")).to_be_visible(timeout=FOLLOWS)
    expect(sam.get_by_text("Whys asked in the first call")).to_have_count(0)  # counts only
    screenshot(rita, "review-2-writing-participant")
    screenshot(sam, "review-2-writing-facilitator")

    # 3. Round the room: plusses, one person at a time, then deltas. Theo was still typing:
    # his words are shown to him, not lost, when his page follows into the next phase.
    theo.get_by_label("What works, or what to change").fill("Demos ran long")
    sam.get_by_role("button", name="Move on to the next phase").click()
    phase(theo, "Round the room: plusses")
    expect(theo.get_by_role("status")).to_contain_text("Demos ran long")
    plusses = {rep: "Whys asked in the first call", teammate: "Held follow-ups gave buyers room"}
    watching = {rep: theo, teammate: rita}  # who sees an author's plus only once revealed
    sam.get_by_role("button", name="Reveal the next plus").click()
    expect(sam.locator("section[aria-labelledby=plusses-heading] li")).to_have_count(1)
    first = Item.objects.get(kind="plus", revealed_at__isnull=False).author
    second = teammate if first == rep else rep
    expect(watching[first].get_by_text(plusses[first])).to_be_visible(timeout=FOLLOWS)
    expect(watching[second].get_by_text(plusses[second])).to_have_count(0)
    sam.get_by_role("button", name="Reveal the next plus").click()
    expect(watching[second].get_by_text(plusses[second])).to_be_visible(timeout=FOLLOWS)
    screenshot(theo, "review-3-plusses-participant-phone")
    sam.get_by_role("button", name="Move on to the next phase").click()
    phase(rita, "Round the room: deltas")
    for _ in range(2):
        sam.get_by_role("button", name="Reveal the next delta").click()
    expect(rita.get_by_text("SOE skipped when rushed")).to_be_visible(timeout=FOLLOWS)
    expect(rita.get_by_text("minus", exact=False)).to_have_count(0)
    screenshot(rita, "review-4-deltas-participant")

    # 4. Group (dragging one delta onto the other) and vote.
    sam.get_by_role("button", name="Move on to the next phase").click()
    phase(rita, "Group and vote")
    sam.locator("[data-drag-item]", has_text="SOE skipped when rushed").drag_to(
        sam.locator("[data-drop-item]", has_text="SOE shared after the demo")
    )
    expect(sam.get_by_label("New title for SOE shared after the demo")).to_be_visible()
    group = Group.objects.get(review=review)
    assert set(group.items.values_list("text", flat=True)) == {
        "SOE shared after the demo",
        "SOE skipped when rushed",
    }
    sam.get_by_label("New title for SOE shared after the demo").fill("Share the SOE sooner")
    sam.get_by_role("button", name="Rename").click()
    expect(rita.get_by_text("Share the SOE sooner")).to_be_visible(timeout=FOLLOWS)
    rita.get_by_role("button", name="Vote for the group Share the SOE sooner").click()
    rita.get_by_role("button", name="Vote for the group Share the SOE sooner").click()
    theo.get_by_role("button", name="Vote for the group Share the SOE sooner").click()
    expect(rita.get_by_text("Your votes left: 1 of 3")).to_be_visible()
    expect(sam.locator(".review-group .badge.text-bg-primary")).to_have_text("3", timeout=FOLLOWS)
    screenshot(sam, "review-5-grouped-and-voted-facilitator")
    screenshot(theo, "review-5-voting-participant-phone")

    # 5. An action from the group, pointing at the stage it changes.
    sam.get_by_role("button", name="Move on to the next phase").click()
    phase(rita, "Actions")
    due = timezone.localdate() + timedelta(days=14)
    sam.get_by_role("textbox", name="Action", exact=True).fill(
        "Offer a draft SOE in the first qualified call"
    )
    sam.get_by_label("Owner", exact=True).select_option(label="Rita Rep")
    sam.get_by_label("Due", exact=True).fill(due.isoformat())
    sam.get_by_label("From group").select_option(label="Share the SOE sooner")
    sam.get_by_label("Stage", exact=True).select_option(label=str(stages["Qualified"]))
    sam.get_by_role("button", name="Add the action").click()
    expect(rita.get_by_text("Offer a draft SOE in the first qualified call")).to_be_visible(
        timeout=FOLLOWS
    )
    action = Action.objects.get(review=review)
    assert (action.owner, action.due_on, action.source_group) == (rep, due, group)
    screenshot(sam, "review-6-actions-facilitator")

    # 6. Summary: printable, and the action waits on Rita's home page.
    sam.get_by_role("button", name="Move on to the next phase").click()
    phase(theo, "Summary")
    theo.get_by_role("link", name="The summary").click()
    groups = theo.get_by_role("region", name="Groups, most votes first")
    expect(groups.get_by_role("listitem").first).to_contain_text("Share the SOE sooner 3 votes")
    expect(theo.get_by_role("region", name="Actions")).to_contain_text("Offer a draft SOE")
    screenshot(theo, "review-7-summary-participant-phone")
    rita.goto(f"{live_server.url}/")
    expect(rita.get_by_text("Offer a draft SOE in the first qualified call")).to_be_visible()
    assert problems == {"sam": [], "rita": [], "theo": []}
