"""What an SOE produces: the letter, the .ics download, and the private calendar feed."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from urllib.parse import quote, urlsplit

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pipeline.soe import calendar
from pipeline.soe import selectors as soe_selectors
from pipeline.soe import services as soe_services
from pipeline.soe.models import CalendarFeed
from tests.factories import ContactFactory, UserFactory
from tests.hostile import fuzz

pytestmark = pytest.mark.django_db


@pytest.fixture
def soe(rep, deal):
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    today = timezone.localdate()
    soe_services.soe_step_add(
        actor=rep, sequence=sequence, text="IT security review, with Tom", target_date=today
    )
    soe_services.soe_step_add(
        actor=rep, sequence=sequence, text="Board meeting", target_date=today + timedelta(days=30)
    )
    soe_services.soe_step_add(actor=rep, sequence=sequence, text="Reference call")
    return sequence


def test_the_letter_is_addressed_to_the_champion_with_the_why_and_steps(client, rep, deal, soe):
    from prospects import services as prospect_services

    ContactFactory(account=deal.account, name="Adam Zed")
    ContactFactory(account=deal.account, name="Helen Shaw", buying_role="champion")
    prospect_services.why_record(
        actor=rep,
        account=deal.account,
        text="Beds blocked all weekend",
        said_on=timezone.localdate(),
    )
    client.force_login(rep)
    url = reverse("pipeline:soe_letter", args=[deal.pk])
    full = client.get(url, {"version": "full"}).content.decode()
    assert "Dear Helen Shaw" in full
    assert "Beds blocked all weekend" in full
    assert "<table" in full
    assert "Board meeting" in full
    assert "css/letter.css" in full
    short = client.get(url, {"version": "short"}).content.decode()
    assert "<table" not in short
    assert "Board meeting" in short


def test_small_deals_get_the_short_letter_unless_asked(client, rep, deal, soe, standard):
    client.force_login(rep)
    url = reverse("pipeline:soe_letter", args=[deal.pk])
    standard.short_letter_below = 100_000  # the deal is worth 48,000
    standard.save()
    assert client.get(url).context["short"] is True
    assert client.get(url, {"version": "full"}).context["short"] is False
    standard.short_letter_below = 1_000
    standard.save()
    assert client.get(url).context["short"] is False


def test_the_ics_download_has_one_event_per_dated_step(client, rep, deal, soe):
    client.force_login(rep)
    response = client.get(reverse("pipeline:soe_ics", args=[deal.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.count("BEGIN:VEVENT") == 2
    assert "SUMMARY:St Brigid's Hospital: IT security review\\, with Tom" in text
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_long_lines_are_folded_and_unfold_to_the_original(rep, deal, soe):
    long = "x" * 200 + "é" * 50
    step = soe.steps.get(text="Board meeting")
    type(step).objects.filter(pk=step.pk).update(text=long)
    step = soe_selectors.soe_calendar_steps(sequence=soe).get(pk=step.pk)
    text = calendar.calendar([step], name="Test")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert f"SUMMARY:St Brigid's Hospital: {long}\r\n" in text.replace("\r\n ", "")


# --- Every .ics read back by a parser --------------------------------------------------


def _calendar_name(parsed: icalendar.Calendar) -> str:
    # The parser keeps X-WR-CALNAME (an extension) as it came, escapes and all; read it as the
    # TEXT it is written as.
    raw = parsed["X-WR-CALNAME"].to_ical().decode()
    return str(
        icalendar.Event.from_ical(f"BEGIN:VEVENT\r\nSUMMARY:{raw}\r\nEND:VEVENT\r\n")["SUMMARY"]
    )


def _events(text: str) -> dict[str, icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(text)
    return {str(event["UID"]): event for event in parsed.walk("VEVENT")}


def test_the_download_parses_back_to_the_steps_it_was_made_from(client, rep, deal, soe):
    review = soe.steps.get(text="IT security review, with Tom")
    board = soe.steps.get(text="Board meeting")
    soe_services.soe_step_done(actor=rep, step=board)
    type(review).objects.filter(pk=review.pk).update(notes="Bring the DPIA;\nC:\\Notes, too")
    client.force_login(rep)
    text = client.get(reverse("pipeline:soe_ics", args=[deal.pk])).content.decode()
    parsed = icalendar.Calendar.from_ical(text)
    assert _calendar_name(parsed) == "SOE: St Brigid's Hospital"
    assert str(parsed["PRODID"]) == calendar.PRODUCT
    events = _events(text)
    assert set(events) == {f"soe-step-{review.pk}@salesflow", f"soe-step-{board.pk}@salesflow"}
    first = events[f"soe-step-{review.pk}@salesflow"]
    assert str(first["SUMMARY"]) == "St Brigid's Hospital: IT security review, with Tom"
    assert str(first["DESCRIPTION"]) == (
        f"{review.get_owner_side_display()} · {deal.name}\nBring the DPIA;\nC:\\Notes, too"
    )
    # All-day: a date, not a time, ending the next day.
    assert first.decoded("DTSTART") == review.target_date
    assert first.decoded("DTEND") == review.target_date + timedelta(days=1)
    assert str(first["STATUS"]) == "CONFIRMED"
    done = events[f"soe-step-{board.pk}@salesflow"]
    assert str(done["SUMMARY"]) == "Done: St Brigid's Hospital: Board meeting"
    assert done.decoded("DTSTART") == board.target_date


def test_the_feed_parses_back_with_the_same_uids_each_time(client, rep, deal, soe):
    _, token = soe_services.calendar_feed_renew(user=rep)
    url = reverse("pipeline:calendar_feed", args=[token])
    first = _events(client.get(url).content.decode())
    again = _events(client.get(url).content.decode())
    steps = {f"soe-step-{step.pk}@salesflow": step for step in soe.steps.all() if step.target_date}
    assert set(first) == set(again) == set(steps)
    for uid, event in first.items():
        assert event.decoded("DTSTART") == steps[uid].target_date
        assert str(event["SUMMARY"]) == f"St Brigid's Hospital: {steps[uid].text}"
    parsed = icalendar.Calendar.from_ical(client.get(url).content.decode())
    assert _calendar_name(parsed) == f"salesflow: {rep.display_name}"


@given(st.text(max_size=300))
def test_any_step_text_reads_back_as_written_less_control_characters(text):
    from types import SimpleNamespace

    opportunity = SimpleNamespace(account=SimpleNamespace(name="A"), name="D")
    step = SimpleNamespace(
        pk=1,
        target_date=date(2026, 1, 14),
        sequence=SimpleNamespace(opportunity=opportunity),
        status="open",
        text=text,
        notes="",
        get_owner_side_display=lambda: "Ours",
    )
    written = calendar.calendar([step], name=text)  # type: ignore[list-item]
    assert all(len(line.encode()) <= 75 for line in written.split("\r\n"))
    parsed = icalendar.Calendar.from_ical(written)
    (event,) = parsed.walk("VEVENT")
    kept = "".join(ch for ch in text if ch in "\t\r\n" or (ord(ch) >= 32 and ord(ch) != 127))
    # Line breaks of any spelling come back as one "\n" (iCalendar has only the one).
    kept = kept.replace("\r\n", "\n").replace("\r", "\n")
    assert str(event["SUMMARY"]) == f"A: {kept}"
    assert _calendar_name(parsed) == kept


def test_the_feed_shows_only_its_owners_open_steps_and_nothing_after_revoking(
    client, rep, teammate, deal, soe, open_deal
):
    theirs = soe_services.soe_start(actor=teammate, opportunity=open_deal(teammate))
    soe_services.soe_step_add(
        actor=teammate, sequence=theirs, text="Teammate's step", target_date=timezone.localdate()
    )
    done = soe.steps.get(text="Board meeting")
    soe_services.soe_step_done(actor=rep, step=done)
    client.force_login(rep)
    feed_url = made_address(client)
    assert len(feed_url.rsplit("/", 1)[1]) >= 40
    client.logout()
    text = client.get(feed_url).content.decode()
    assert "IT security review" in text
    assert "Board meeting" not in text  # done
    assert "Teammate's step" not in text
    client.force_login(rep)
    client.post(reverse("pipeline:calendar_settings"), {"action": "revoke"})
    client.logout()
    assert client.get(feed_url).status_code == 404


def test_the_feeds_window_is_counted_from_its_owners_today(client, rep, soe, settings, monkeypatch):
    from datetime import UTC, date, datetime

    from pipeline.soe.selectors import FEED_DAYS_BACK

    settings.TIME_ZONE = "Europe/London"
    rep.time_zone = "Pacific/Kiritimati"  # UTC+14: already 11 June when London has the 10th
    rep.save()
    client.force_login(rep)
    feed_url = made_address(client)
    client.logout()
    owners_today = date(2026, 6, 11)
    soe.steps.filter(text="Board meeting").update(
        target_date=owners_today - timedelta(days=FEED_DAYS_BACK)
    )
    soe.steps.filter(text="IT security review, with Tom").update(
        target_date=owners_today - timedelta(days=FEED_DAYS_BACK + 1)
    )
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 6, 10, 11, tzinfo=UTC))
    text = client.get(feed_url).content.decode()
    assert "Board meeting" in text
    assert "IT security review" not in text  # one day too old where the owner is


def made_address(client) -> str:
    """Make a new feed address on the settings page; return its path, as shown there."""
    response = client.post(reverse("pipeline:calendar_settings"), {"action": "renew"})
    assert response.status_code == 200
    return urlsplit(response.context["feed_url"]).path


def test_a_new_address_retires_the_old_one(client, rep):
    client.force_login(rep)
    old = made_address(client)
    new = made_address(client)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


@pytest.mark.parametrize("size", [1, 40])
def test_feed_query_count_is_constant(client, rep, open_deal, size, django_assert_max_num_queries):
    for n in range(size):
        sequence = soe_services.soe_start(actor=rep, opportunity=open_deal(rep))
        soe_services.soe_step_add(
            actor=rep, sequence=sequence, text=f"Step {n}", target_date=timezone.localdate()
        )
    _, token = soe_services.calendar_feed_renew(user=rep)
    with django_assert_max_num_queries(2):
        response = client.get(reverse("pipeline:calendar_feed", args=[token]))
    assert response.content.decode().count("BEGIN:VEVENT") == size


def test_outsiders_get_404_on_the_letter_and_the_download(client, outsider, deal, soe):
    client.force_login(outsider)
    for name in ("pipeline:soe_letter", "pipeline:soe_ics"):
        assert client.get(reverse(name, args=[deal.pk])).status_code == 404


def test_the_feed_never_shows_a_step_on_a_deal_its_owner_cannot_see(
    client, rep, outsider, deal, soe
):
    step = soe.steps.get(text="Board meeting")
    # Say the outsider carried this step once (before moving team): still not in their feed.
    type(step).objects.filter(pk=step.pk).update(responsible_user=outsider)
    _, token = soe_services.calendar_feed_renew(user=outsider)
    text = client.get(reverse("pipeline:calendar_feed", args=[token])).content.decode()
    assert "Board meeting" not in text


def test_the_download_marks_done_steps_and_drops_control_characters(client, rep, deal, soe):
    step = soe.steps.get(text="Board meeting")
    soe_services.soe_step_done(actor=rep, step=step)
    type(step).objects.filter(pk=step.pk).update(text="Board\x07 meeting\x1b")
    client.force_login(rep)
    text = client.get(reverse("pipeline:soe_ics", args=[deal.pk])).content.decode()
    assert "SUMMARY:Done: St Brigid's Hospital: Board meeting" in text
    assert "\x07" not in text
    assert "\x1b" not in text
    assert "CANCELLED" not in text


# --- The feed's secret is kept as a hash only -------------------------------------------


def test_a_feed_address_is_shown_once_and_only_its_hash_is_kept(client, rep, deal, soe):
    client.force_login(rep)
    response = client.post(reverse("pipeline:calendar_settings"), {"action": "renew"})
    url = response.context["feed_url"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert url in response.content.decode()
    assert "only time salesflow shows it" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    # Stored: the token's SHA-256, and nothing from which the token could be read back.
    feed = CalendarFeed.objects.get(user=rep)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CalendarFeed.objects.filter(pk=feed.pk).values().get())
    assert "token" not in {field.name for field in CalendarFeed._meta.get_fields()}
    # Shown once: the page says the feed is on, without the address, which still works.
    page = client.get(reverse("pipeline:calendar_settings")).content.decode()
    assert token not in page
    assert "salesflow cannot show it again" in page
    client.logout()
    assert "IT security review" in client.get(urlsplit(url).path).content.decode()


def test_the_admin_can_neither_confirm_nor_recover_a_feed_token(client, rep):
    _, token = soe_services.calendar_feed_renew(user=rep)
    digest = CalendarFeed.hash_token(token)
    client.force_login(UserFactory(role="admin", is_staff=True, is_superuser=True))
    url = reverse("admin:pipeline_calendarfeed_changelist")
    for query in (
        f"token={token}",
        f"token__startswith={token[:3]}",
        f"token__exact={token}",
        f"token_hash={digest}",
        f"token_hash__startswith={digest[:2]}",
        f"token_hash__in={digest},x",
        f"token_hash__regex=^{digest[0]}",
        f"user__calendar_feed__token_hash={digest}",
        "_popup=1&_to_field=token_hash",
    ):
        response = client.get(f"{url}?{query}")
        assert response.status_code in {302, 400}, query  # 302: back to the list, "?e=1"
        assert rep.username not in response.content.decode(), query
    assert client.get(url).status_code == 200
    change = client.get(reverse("admin:pipeline_calendarfeed_change", args=[rep.calendar_feed.pk]))
    assert digest not in change.content.decode()


@fuzz
@given(token=st.text(max_size=100))
def test_any_feed_address_that_was_not_made_is_404(client, rep, token):
    soe_services.calendar_feed_renew(user=rep)
    response = client.get(f"/calendar/feed/{quote(token, safe='')}.ics")
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_feeds_made_before_hashing_keep_their_addresses(client):
    """The migration hashes existing tokens: an address handed out before it still works,
    and the token itself is no longer stored."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        ("pipeline", "0010_open_deal_totals"),
        ("pipeline", "0011_calendar_feed_token_hash"),
    )
    user = UserFactory()
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO pipeline_calendarfeed (user_id, token, created_at)"
                " VALUES (%s, 'an-address-from-before', now())",
                [user.pk],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert after in MigrationExecutor(connection).loader.applied_migrations
    response = client.get(reverse("pipeline:calendar_feed", args=["an-address-from-before"]))
    assert response.status_code == 200
    assert "BEGIN:VCALENDAR" in response.content.decode()
    assert CalendarFeed.objects.get(user=user).token_hash == CalendarFeed.hash_token(
        "an-address-from-before"
    )
