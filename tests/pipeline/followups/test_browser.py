"""A rep's follow-up waits on purpose, surfaces when its time comes, and is done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pipeline import tasks
from pipeline.followups.models import FollowUp
from salesflow.core.outbox import services as outbox_services
from tests.core.test_browser import sign_in, watch_console
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_solution_call_proposes_a_held_follow_up_that_surfaces_and_is_done(
    page: Page, live_server, rep, open_deal, screenshot, monkeypatch
):
    violations = watch_console(page)
    account = AccountFactory(owner=rep, name="St Brigid's Hospital")
    open_deal(rep, "Solution development", account=account, name="Patient flow")
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    form = page.locator("#conversation-form")
    form.get_by_label("Channel").select_option("video")
    form.get_by_label("Kind").select_option("solution_development")
    form.get_by_label("Notes").fill("Walked through the pilot on two wards.")
    form.get_by_role("button", name="Log conversation").click()
    expect(page.get_by_text("Conversation logged.")).to_be_visible()

    follow_up = FollowUp.objects.get()
    page.goto(f"{live_server.url}/")
    held = page.locator("section", has=page.get_by_role("heading", name="Held back, on purpose"))
    expect(held).to_contain_text("held until")
    expect(held).to_contain_text("09:00 — let the solution call sink in")
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.locator("section", has_text="Today").first).to_contain_text("Nothing is waiting")

    # Time moves on: its business morning has come; the sweep (as beat runs it) surfaces it.
    FollowUp.objects.filter(pk=follow_up.pk).update(
        surface_at=timezone.now() - timedelta(minutes=1)
    )
    monkeypatch.setattr(outbox_services, "_ask_for_a_sender", lambda: None)
    tasks.surface_due_followups()

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Notifications 1 unread")).to_be_visible()
    today = page.locator("section", has=page.get_by_role("heading", name="Today"))
    expect(today).to_contain_text("St Brigid's Hospital: Hear how the solution development")
    screenshot(page, "today-with-a-surfaced-follow-up")
    today.get_by_role("link").first.click()
    # Done, and the conversation it led to logged in the same step.
    page.get_by_label("Log the conversation it led to").select_option(label="Evaluation check-in")
    page.get_by_label("Notes").fill("Helen will take it to the IT lead on Monday.")
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Done and the conversation logged.")).to_be_visible()
    follow_up.refresh_from_db()
    assert follow_up.status == "done"
    from prospects.models import Conversation

    logged = Conversation.objects.filter(account=account).order_by("-occurred_at").first()
    assert (logged.kind, logged.notes) == (
        "evaluation_check_in",
        "Helen will take it to the IT lead on Monday.",
    )
    assert violations == []


@pytest.mark.parametrize("width", [1280, 390])
def test_logging_a_call_tells_the_rep_and_home_shows_when_and_why_each_is_held(
    page: Page, live_server, rep, open_deal, screenshot, width
):
    """A decision call while a proposed follow-up waits: the rep is told it is held longer,
    and home shows the hold's date (weeks away) and every reason."""
    from pipeline.followups import patience
    from pipeline.followups import services as followup_services

    violations = watch_console(page)
    account = AccountFactory(owner=rep, name="St Brigid's Hospital")
    deal = open_deal(rep, "Decision", account=account, name="Patient flow")
    waiting = followup_services.followup_propose(
        actor=rep, account=account, opportunity=deal, purpose="Hear how the pilot sits"
    ).follow_up
    weeks_away = patience.business_morning(
        timezone.now() + timedelta(days=20), time_zone=rep.time_zone, strictly_after=False
    )
    FollowUp.objects.filter(pk=waiting.pk).update(
        surface_at=weeks_away,
        holds=[
            {
                "rule": "dragging_evaluation",
                "until": weeks_away.isoformat(),
                "why": "a dragging evaluation is not chased",
            }
        ],
    )
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    form = page.locator("#conversation-form")
    form.get_by_label("Kind").select_option("decision")
    form.get_by_label("Notes").fill("The board meets on Thursday.")
    form.get_by_role("button", name="Log conversation").click()
    logged = page.get_by_role("status").filter(has_text="Conversation logged.")
    expect(logged).to_contain_text("The follow-up already waiting, “Hear how the pilot sits”")
    expect(logged).to_contain_text("a dragging evaluation is not chased; give them room to decide")
    screenshot(page, f"conversation-logged-hold-added-{width}")
    assert FollowUp.objects.count() == 1

    page.goto(f"{live_server.url}/")
    held = page.locator("section", has=page.get_by_role("heading", name="Held back, on purpose"))
    with timezone.override(rep.time_zone):
        reads = patience.describe_end(weeks_away)
    expect(held).to_contain_text(
        f"held until {reads} — a dragging evaluation is not chased; give them room to decide"
    )
    screenshot(page, f"home-held-back-with-dates-and-reasons-{width}")
    assert violations == []


def test_a_rep_picks_a_not_before_day_by_keyboard_at_phone_width(
    page: Page, live_server, rep, screenshot
):
    from pipeline.followups.models import PatienceRule

    # Near a quarter's end that rule would join in; this walk is about the rep's own day.
    PatienceRule.objects.filter(kind=PatienceRule.Kind.END_OF_QUARTER).update(active=False)
    violations = watch_console(page)
    account = AccountFactory(owner=rep, name="St Brigid's Hospital")
    day = timezone.localdate() + timedelta(days=20)
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/accounts/{account.pk}/follow-ups/new/")
    page.get_by_label("What will this accomplish?").fill("Ask how the board took it")
    picker = page.get_by_label("Not before")
    picker.focus()
    page.keyboard.type(day.strftime("%m%d%Y"))  # Chromium's en-US date field, by keyboard
    assert picker.input_value() == day.isoformat()
    screenshot(page, "follow-up-form-not-before")
    picker.press("Enter")
    held = page.locator("section", has=page.get_by_role("heading", name="Held until"))
    reason = f"Not before {day.day} {day:%b}, as you chose"
    expect(held.get_by_role("listitem").filter(has_text=reason)).to_contain_text("this one decides")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "follow-up-held-by-the-reps-day")
    assert FollowUp.objects.get().not_before == day
    assert violations == []
