"""A proposed follow-up already waiting learns the holds of what happens next (a new
conversation of a rule's kind, a step done): the latest hold wins, every reason is listed,
the history says so and so does the page where it was logged. And how a hold's end reads,
wherever one is shown."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pipeline.followups import patience
from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp, FollowUpEvent, PatienceRule
from pipeline.soe import services as soe_services
from prospects import services as prospect_services
from tests.hostile import fuzz, hostile

HTMX = {"HTTP_HX_REQUEST": "true"}
LONDON = zoneinfo.ZoneInfo("Europe/London")


def log(rep, account, kind: str, when: datetime | None = None):
    return prospect_services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=when or timezone.now(),
        channel="call",
        kind=kind,
        notes=f"A {kind} call",
    )


def conversation(**fields: str) -> dict[str, str]:
    """What the conversation form posts."""
    answers = dict.fromkeys(("has_problem", "accepts_significance", "ready_to_act"), "unknown")
    return {"channel": "call", "notes": "Talked it through", **answers, **fields}


def whys(follow_up: FollowUp) -> list[str]:
    return [hold["why"] for hold in follow_up.holds]


def until_of(follow_up: FollowUp, why: str) -> datetime:
    return next(datetime.fromisoformat(h["until"]) for h in follow_up.holds if h["why"] == why)


# --- The waiting follow-up learns the new hold ---------------------------------------------


@pytest.mark.django_db
def test_a_decision_call_adds_its_hold_to_the_waiting_follow_up_and_the_latest_wins(rep, deal):
    PatienceRule.objects.filter(conversation_kind="decision").update(days=3)
    first = log(rep, deal.account, "solution_development").follow_up_proposal
    assert first.created
    follow_up = first.follow_up
    earlier = follow_up.surface_at

    proposal = log(rep, deal.account, "decision").follow_up_proposal
    assert FollowUp.objects.count() == 1  # nothing new proposed…
    follow_up.refresh_from_db()
    assert proposal.follow_up == follow_up  # …the waiting one learned the new reason
    assert not proposal.created
    assert proposal.added == ("give them room to decide",)
    assert whys(follow_up)[:2] == ["let the solution call sink in", "give them room to decide"]
    decision = until_of(follow_up, "give them room to decide")
    assert decision > until_of(follow_up, "let the solution call sink in")
    # The latest hold wins: the follow-up surfaces no earlier than any of its holds.
    latest = max(datetime.fromisoformat(h["until"]) for h in follow_up.holds)
    assert follow_up.surface_at == latest >= decision > earlier
    assert follow_up.status == "held"
    assert follow_up.proposed
    event = FollowUpEvent.objects.filter(follow_up=follow_up).last()
    assert (event.action, event.by, event.note) == ("hold added", rep, "give them room to decide")
    message = proposal.message()
    assert message.startswith("The follow-up already waiting")
    assert "is now held until" in message
    assert "let the solution call sink in; give them room to decide" in message


@pytest.mark.django_db
def test_a_second_call_of_the_same_kind_moves_its_hold_on_without_listing_it_twice(rep, deal):
    now = timezone.now()
    log(rep, deal.account, "solution_development", now - timedelta(days=10))  # long past
    follow_up = FollowUp.objects.get()
    assert follow_up.holds == []  # its hold had already ended: due at once
    proposal = log(rep, deal.account, "solution_development", now).follow_up_proposal
    follow_up.refresh_from_db()
    assert FollowUp.objects.count() == 1
    assert whys(follow_up) == ["let the solution call sink in"]
    assert follow_up.surface_at > now
    assert proposal.added == ("let the solution call sink in",)
    # Once more at the same moment: nothing new to learn, and the history says nothing.
    events = FollowUpEvent.objects.filter(follow_up=follow_up).count()
    again = log(rep, deal.account, "solution_development", now).follow_up_proposal
    assert again.added == ()
    assert "stays held until" in again.message()
    assert FollowUpEvent.objects.filter(follow_up=follow_up).count() == events
    follow_up.refresh_from_db()
    assert whys(follow_up) == ["let the solution call sink in"]


@pytest.mark.django_db
def test_a_hold_never_brings_a_waiting_follow_up_forward(rep, deal):
    follow_up = log(rep, deal.account, "solution_development").follow_up_proposal.follow_up
    later = timezone.now() + timedelta(days=40)
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=later)
    log(rep, deal.account, "decision")
    follow_up.refresh_from_db()
    assert follow_up.surface_at == later
    assert "give them room to decide" in whys(follow_up)


@pytest.mark.django_db
def test_a_done_step_adds_its_hold_to_the_follow_up_a_call_proposed(rep, deal):
    follow_up = log(rep, deal.account, "solution_development").follow_up_proposal.follow_up
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(actor=rep, sequence=sequence, text="Security review")
    done = soe_services.soe_step_done(actor=rep, step=step)
    assert FollowUp.objects.count() == 1
    follow_up.refresh_from_db()
    assert "let the last step marinate before the next" in whys(follow_up)
    assert done.follow_up_proposal.follow_up == follow_up
    assert follow_up.surface_at >= until_of(follow_up, "let the last step marinate before the next")


@pytest.mark.django_db
def test_a_follow_up_that_has_surfaced_learns_nothing_and_a_new_one_is_proposed(rep, deal):
    follow_up = log(rep, deal.account, "solution_development").follow_up_proposal.follow_up
    followup_services.followup_surface_now(actor=rep, follow_up=follow_up, reason="They rang back")
    proposal = log(rep, deal.account, "decision").follow_up_proposal
    assert proposal.created
    assert FollowUp.objects.count() == 2
    follow_up.refresh_from_db()
    assert follow_up.status == "surfaced"
    assert whys(follow_up) == ["let the solution call sink in"]
    with pytest.raises(ValidationError, match="already surfaced"):
        followup_services.followup_hold(actor=rep, follow_up=follow_up)
    assert not FollowUpEvent.objects.filter(follow_up=follow_up, action="hold added").exists()


@pytest.mark.django_db
def test_only_someone_who_may_edit_the_account_adds_a_hold(rep, teammate, deal):
    follow_up = log(rep, deal.account, "solution_development").follow_up_proposal.follow_up
    with pytest.raises(ValidationError, match="read-only"):
        followup_services.followup_hold(actor=teammate, follow_up=follow_up)
    assert not FollowUpEvent.objects.filter(action="hold added").exists()


@pytest.mark.django_db
def test_logging_the_call_says_the_waiting_follow_up_is_held_longer(client, rep, deal):
    PatienceRule.objects.filter(conversation_kind="decision").update(days=3)
    follow_up = followup_services.followup_propose(
        actor=rep, account=deal.account, opportunity=deal, purpose="Hear how it sits"
    ).follow_up
    tomorrow = timezone.now() + timedelta(days=1)
    FollowUp.objects.filter(pk=follow_up.pk).update(
        surface_at=tomorrow,
        holds=[
            {
                "rule": "after_conversation",
                "until": tomorrow.isoformat(),
                "why": "let the solution call sink in",
            }
        ],
    )
    client.force_login(rep)
    url = reverse("prospects:conversation_create", args=[deal.account.pk])
    zone = zoneinfo.ZoneInfo(rep.time_zone)
    when = timezone.localtime(timezone.now(), zone).strftime("%Y-%m-%dT%H:%M")
    data = conversation(occurred_at=when, kind="decision", notes="Board met")
    html = client.post(url, data, **HTMX).content.decode()
    follow_up.refresh_from_db()
    with timezone.override(zone):
        until = patience.describe_end(follow_up.surface_at)
    assert "Conversation logged. The follow-up already waiting, “Hear how it sits”" in html
    assert f"is now held until {until}" in html
    assert "let the solution call sink in; give them room to decide" in html
    # Without htmx, the same message follows the rep to the account page.
    data["notes"] = "Board met again"
    response = client.post(url, data)
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Conversation logged. The follow-up already waiting")


@pytest.mark.django_db
def test_logging_a_call_says_a_follow_up_was_proposed(client, rep, deal):
    client.force_login(rep)
    url = reverse("prospects:conversation_create", args=[deal.account.pk])
    zone = zoneinfo.ZoneInfo(rep.time_zone)
    when = timezone.localtime(timezone.now(), zone).strftime("%Y-%m-%dT%H:%M")
    data = conversation(occurred_at=when, kind="solution_development")
    html = client.post(url, data, **HTMX).content.decode()
    assert "Conversation logged. A follow-up is proposed, held until" in html
    assert "let the solution call sink in." in html


@pytest.mark.django_db
def test_marking_a_step_done_says_what_became_of_the_follow_up(client, rep, deal):
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(actor=rep, sequence=sequence, text="Security review")
    client.force_login(rep)
    response = client.post(reverse("pipeline:soe_step_done", args=[step.pk]))
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("A follow-up is proposed, held until")
    assert "let the last step marinate before the next" in message


# --- How a hold's end reads ------------------------------------------------------------------


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(
    ("now", "until", "reads"),
    [
        ("2026-11-23T10:00", "2026-11-25T09:00", "Wednesday 09:00"),  # Monday: this week
        ("2026-11-23T10:00", "2026-11-29T09:00", "Sunday 09:00"),
        ("2026-11-23T10:00", "2026-12-02T09:00", "Wednesday 2 December, 09:00"),  # next week
        ("2026-11-29T20:00", "2026-11-30T09:00", "Monday 30 November, 09:00"),  # Sunday night
        ("2026-11-23T10:00", "2027-01-06T09:00", "Wednesday 6 January 2027, 09:00"),
        ("2026-12-28T10:00", "2027-01-01T09:00", "Friday 09:00"),  # one ISO week across years
    ],
)
def test_a_hold_end_shows_its_date_unless_it_is_this_week(now: str, until: str, reads: str):
    with timezone.override(LONDON):
        assert patience.describe_end(local(until), now=local(now)) == reads
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):  # the viewer's zone, not until's
        assert patience.describe_end(local(until), now=local(now)).endswith("18:00")


@pytest.mark.django_db
def test_the_home_page_shows_the_date_of_a_hold_weeks_away_and_every_reason(client, rep, deal):
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, opportunity=deal, purpose="Ask about the board"
    )
    until = timezone.now() + timedelta(days=20)
    FollowUp.objects.filter(pk=follow_up.pk).update(
        surface_at=until,
        holds=[
            {"rule": "after_conversation", "until": until.isoformat(), "why": "let it sink in"},
            {"rule": "end_of_quarter", "until": until.isoformat(), "why": "quarter end"},
        ],
    )
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    with timezone.override(zoneinfo.ZoneInfo(rep.time_zone)):
        reads = patience.describe_end(until)
    assert timezone.localtime(until).strftime("%B") in reads  # the month: a date is shown
    assert f"held until {reads} — let it sink in; quarter end" in html


@pytest.mark.django_db
def test_every_page_that_shows_a_hold_end_words_it_the_same_way(client, rep, deal):
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, opportunity=deal, purpose="Ask about the board"
    )
    until = timezone.now() + timedelta(days=20)
    FollowUp.objects.filter(pk=follow_up.pk).update(
        surface_at=until,
        holds=[{"rule": "dragging_evaluation", "until": until.isoformat(), "why": "not chased"}],
    )
    client.force_login(rep)
    with timezone.override(zoneinfo.ZoneInfo(rep.time_zone)):
        reads = patience.describe_end(until)
    home = client.get(reverse("home")).content.decode()
    account = client.get(reverse("prospects:account_detail", args=[deal.account.pk]))
    page = client.get(reverse("pipeline:followup_detail", args=[follow_up.pk]))
    assert f"held until {reads}" in home
    assert f"held until {reads}" in account.content.decode()
    assert f"Held until {reads}" in page.content.decode()
    assert f'not chased <span class="small text-body-secondary">· until {reads}' in (
        page.content.decode()
    )


@fuzz
@given(
    text=st.one_of(
        hostile,
        st.datetimes().map(datetime.isoformat),
        st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
    )
)
def test_the_hold_end_filter_never_fails_on_what_a_hold_keeps(text: str):
    rendered = Template("{% load pipeline_tags %}{{ until|hold_end }}").render(
        Context({"until": text})
    )
    assert isinstance(rendered, str)
