"""A rep plans an appointment from the deal page on a phone, and sees it on their home page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pipeline.appointments.models import Appointment
from tests.core.test_browser import sign_in, watch_console
from tests.factories import AccountFactory, ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_plans_an_appointment_at_390_px_and_sees_it_on_home(
    page: Page, live_server, rep, open_deal, screenshot
):
    violations = watch_console(page)
    account = AccountFactory(owner=rep, name="St Brigid's Hospital")
    ContactFactory(account=account, name="Dr Nora Quinn")
    deal = open_deal(rep, "Qualified", account=account, name="Patient flow")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, rep.username)
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    appointments = page.locator(
        "section", has=page.get_by_role("heading", name="Appointments", exact=True)
    )
    expect(appointments).to_contain_text("Nothing planned.")
    appointments.get_by_role("link", name="Plan one").click()

    starts = timezone.localtime(timezone.now() + timedelta(days=2)).replace(
        hour=10, minute=30, second=0, microsecond=0
    )
    page.get_by_label("Starts (the time they agreed to)").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Kind").select_option("demo")
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_label("Place or link").fill("https://meet.example.org/ward-demo")
    page.get_by_label("Agenda").fill("The discharge board, with the ward leads.")
    page.get_by_label("Dr Nora Quinn").check()
    screenshot(page, "appointment-form-390")
    page.get_by_role("button", name="Plan it").click()
    expect(page.get_by_text("Appointment planned.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demo with St Brigid's Hospital")

    appointment = Appointment.objects.get()
    assert appointment.opportunity_id == deal.pk
    page.goto(f"{live_server.url}/")
    upcoming = page.locator(
        "section", has=page.get_by_role("heading", name="Appointments", exact=True)
    )
    expect(upcoming).to_contain_text("Demo with St Brigid's Hospital")
    expect(upcoming).to_contain_text("Dr Nora Quinn")
    screenshot(page, "home-with-an-appointment-390")
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert violations == []
