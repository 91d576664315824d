"""A rep logs a conversation inline and edits the why, without a page reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.core.test_browser import sign_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_logs_a_conversation_and_edits_the_why_inline(
    page: Page, live_server, rep, account, contact, screenshot
):
    violations = watch_console(page)
    sign_in(page, live_server.url, rep.username)
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name=account.name).click()
    expect(page.get_by_role("heading", name=account.name)).to_be_visible()
    # A marker that survives only if the page is never reloaded.
    page.evaluate("window.__noReload = true")

    form = page.locator("#conversation-form")
    form.get_by_label("Channel").select_option("video")
    form.get_by_label("Kind").select_option("qualifying")
    question = "What have you already tried, and what happened?"
    expect(form.get_by_label(question)).to_be_visible()  # prompts follow the kind
    form.get_by_label(question).check()
    form.get_by_label(contact.name).check()
    form.get_by_label("Notes").fill("Walked through last winter's discharge numbers.")
    form.get_by_label("Emotion found").fill("Tired of weekend bed pressure")
    form.locator("#id_has_problem_1").check()
    form.locator("#id_accepts_significance_1").check()
    form.locator("#id_ready_to_act_2").check()
    form.get_by_role("button", name="Log conversation").click()

    expect(page.get_by_text("Conversation logged.")).to_be_visible()
    expect(page.get_by_text("Conversation logged.")).to_be_focused()  # focus is not lost
    timeline = page.locator("#timeline-list")
    expect(timeline).to_contain_text("Walked through last winter's discharge numbers.")
    expect(timeline).to_contain_text(f"Asked: {question}")
    readiness = page.locator("#readiness-panel")
    expect(readiness.locator("dd").nth(0)).to_contain_text("Yes")
    expect(readiness.locator("dd").nth(2)).to_contain_text("No")

    page.get_by_role("link", name="Record their why").click()
    expect(page.get_by_label("Their why, in their words")).to_be_focused()
    page.get_by_label("Their why, in their words").fill(
        "Discharges stall every Friday and beds stay blocked."
    )
    page.get_by_label("Who said it").select_option(label=contact.name)
    page.get_by_role("button", name="Save the why").click()
    why = page.locator("#why-panel")
    expect(why).to_contain_text("“Discharges stall every Friday and beds stay blocked.”")
    expect(why).to_contain_text(contact.name)
    expect(timeline).to_contain_text("Why recorded")

    assert page.evaluate("window.__noReload") is True
    screenshot(page, "account-after-inline-log-and-why")
    assert violations == []


def test_an_inline_solution_call_shows_its_follow_up_and_is_saved_once(
    page: Page, live_server, rep, account, screenshot
):
    import importlib

    from django.apps import apps

    from prospects.models import Conversation

    # Transactional tests flush the shipped patience rules; this one needs them.
    rules = importlib.import_module("pipeline.migrations.0007_default_patience_rules")
    rules.add_rules(apps, None)
    violations = watch_console(page)
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    followups = page.locator("#followups-panel")
    expect(followups).to_contain_text("None waiting.")
    page.evaluate("window.__noReload = true")

    form = page.locator("#conversation-form")
    form.get_by_label("Kind").select_option("solution_development")
    form.get_by_label("Notes").fill("Walked through the pilot on two wards.")
    # An impatient double click: the button is disabled while the form is on its way.
    form.get_by_role("button", name="Log conversation").dblclick()

    expect(page.get_by_text("Conversation logged.")).to_be_visible()
    expect(followups).not_to_contain_text("None waiting.")
    expect(followups).to_contain_text("Hear how the solution development conversation sits")
    expect(followups).to_contain_text("held until")
    expect(page.locator("#timeline-list")).to_contain_text("Walked through the pilot")
    assert Conversation.objects.count() == 1
    screenshot(page, "account-follow-up-card-after-inline-solution-call")
    assert violations == []

    # "Log" pressed again on the fresh, empty form: refused, with the reason.
    page.locator("#conversation-form").get_by_role("button", name="Log conversation").click()
    expect(page.locator("#conversation-form")).to_contain_text("Nothing to log yet")
    assert Conversation.objects.count() == 1
    assert page.evaluate("window.__noReload") is True
    screenshot(page, "account-empty-conversation-refused")
    # The refusal's 422 is the only thing the browser reports.
    assert all("status of 422" in problem for problem in violations)


def test_a_rep_on_a_phone_is_warned_of_a_duplicate_account_then_creates_it_anyway(
    page: Page, live_server, rep, screenshot
):
    from prospects.models import Account
    from tests.factories import AccountFactory

    existing = AccountFactory(owner=rep, name="Kestrel Components Ltd")
    violations = watch_console(page)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, rep.username)
    page.goto(f"{live_server.url}/accounts/new/")
    page.get_by_label("Name").fill("Kestrel Components, Inc.")
    page.get_by_role("button", name="Save").click()

    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("may already exist")
    expect(warning.get_by_role("link", name=f"Open it: {existing.name}")).to_have_attribute(
        "href", f"/accounts/{existing.pk}/"
    )
    # Nothing horizontal to scroll on a phone, and nothing saved yet.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Account.objects.count() == 1
    screenshot(page, "account-duplicate-warning-390")

    page.get_by_role("button", name="Create anyway").click()
    expect(page.get_by_role("heading", name="Kestrel Components, Inc.")).to_be_visible()
    assert Account.objects.count() == 2
    assert violations == []
