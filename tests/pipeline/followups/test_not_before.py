"""A follow-up's "not before" day, the rep's own: one more hold, from that day's business
morning in the owner's time zone, weighed with the patience rules (the latest wins) and
listed with them, the deciding one said so."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import dateformat, timezone
from hypothesis import given
from hypothesis import strategies as st

from pipeline.followups import patience
from pipeline.followups import services as followup_services
from pipeline.followups.forms import FollowUpForm
from pipeline.followups.models import FollowUp, PatienceRule
from salesflow.core.audit.selectors import object_history
from tests.hostile import OK, fuzz, hostile
from tests.pipeline.api.soe_support import send
from tests.pipeline.hostile import followup_state

pytestmark = pytest.mark.django_db

LONDON = "Europe/London"


def at(text: str, zone: str = LONDON) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone))


def said(day: date) -> str:
    return f"Not before {dateformat.format(day, 'j M')}, as you chose"


@pytest.fixture(autouse=True)
def _no_quarter_end(db):
    # The pages and services below pick days counted from today; the end-of-quarter rule
    # would join in near a quarter's end. How it weighs the chosen day is tested above.
    PatienceRule.objects.filter(kind=PatienceRule.Kind.END_OF_QUARTER).update(active=False)


def owners_today(user) -> date:
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(user.time_zone)).date()


def after_solution_call() -> list[PatienceRule]:
    return [
        PatienceRule(
            kind=PatienceRule.Kind.AFTER_CONVERSATION,
            conversation_kind="solution",
            days=1,
            why="Let the solution call sink in",
        )
    ]


# --- The rule itself, at fixed moments ----------------------------------------------------


def test_a_later_day_than_the_rules_wins_and_both_reasons_are_listed():
    # A solution call on Monday 11 Jan 2027 holds until Tuesday; the rep said Thursday 14.
    facts = patience.Facts(
        now=at("2027-01-11T15:00"),
        time_zone=LONDON,
        last_conversation=("solution", at("2027-01-11T14:00")),
        not_before=date(2027, 1, 14),
    )
    found = patience.holds(facts, after_solution_call())
    assert [hold.why for hold in found] == [
        "Let the solution call sink in",
        said(date(2027, 1, 14)),
    ]
    assert found[1].why == "Not before 14 Jan, as you chose"
    assert found[1].rule == patience.NOT_BEFORE
    assert patience.surface_at(facts, found) == at("2027-01-14T09:00")


def test_an_earlier_day_than_the_rules_holds_nothing_more():
    facts = patience.Facts(
        now=at("2027-01-11T15:00"),
        time_zone=LONDON,
        last_conversation=("solution", at("2027-01-11T14:00")),
        not_before=date(2027, 1, 11),  # today, its morning already past
    )
    found = patience.holds(facts, after_solution_call())
    assert [hold.why for hold in found] == ["Let the solution call sink in"]
    assert patience.surface_at(facts, found) == at("2027-01-12T09:00")


def test_a_saturday_waits_for_monday_morning_in_the_owners_zone():
    facts = patience.Facts(
        now=at("2027-01-11T15:00", "America/New_York"),
        time_zone="America/New_York",
        not_before=date(2027, 1, 16),  # a Saturday
    )
    found = patience.holds(facts, [])
    assert patience.surface_at(facts, found) == at("2027-01-18T09:00", "America/New_York")


def test_the_end_of_quarter_caution_judges_the_chosen_day_too(settings):
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 1
    rule = PatienceRule(
        kind=PatienceRule.Kind.END_OF_QUARTER, days=10, extra_days=3, why="Quarter end: careful"
    )
    # Wednesday 23 June is inside the quarter's last ten days: three more, then Monday.
    facts = patience.Facts(
        now=at("2027-06-01T15:00"), time_zone=LONDON, not_before=date(2027, 6, 23)
    )
    found = patience.holds(facts, [rule])
    assert [hold.rule for hold in found] == [patience.NOT_BEFORE, PatienceRule.Kind.END_OF_QUARTER]
    assert patience.surface_at(facts, found) == at("2027-06-28T09:00")


# --- The service ---------------------------------------------------------------------------


def test_the_service_keeps_the_day_and_holds_until_its_business_morning(rep, account):
    day = owners_today(rep) + timedelta(days=20)
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask after the board", not_before=day
    )
    follow_up.refresh_from_db()
    assert follow_up.not_before == day
    zone = zoneinfo.ZoneInfo(rep.time_zone)
    expected = patience.business_morning(
        datetime.combine(day, time(9), zone), time_zone=rep.time_zone, strictly_after=False
    )
    assert follow_up.surface_at == expected
    assert [hold["why"] for hold in follow_up.holds] == [said(day)]
    assert follow_up.events.get().note == said(day)
    [reason] = follow_up.hold_reasons()
    assert reason["decides"] is True


@pytest.mark.parametrize(
    ("days", "message"), [(-1, "today or a later day"), (367, "within the next year")]
)
def test_a_past_or_far_day_is_refused_and_nothing_saved(rep, account, days, message):
    before = followup_state()
    with pytest.raises(ValidationError, match=message):
        followup_services.followup_create(
            actor=rep,
            account=account,
            purpose="Ask",
            not_before=owners_today(rep) + timedelta(days=days),
        )
    assert followup_state() == before


def test_holding_it_again_keeps_the_chosen_day_and_says_which_hold_decides(rep, account):
    from prospects import services as prospect_services

    day = owners_today(rep) + timedelta(days=30)
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask", not_before=day
    )
    surface_at = follow_up.surface_at
    # A solution call: a rule's hold, ending long before the chosen day.
    prospect_services.conversation_log(
        actor=rep,
        account=account,
        occurred_at=timezone.now(),
        channel="meeting",
        kind="solution_development",
        notes="Walked the ward with Helen",
    )
    proposal = followup_services.followup_hold(actor=rep, follow_up=follow_up)
    assert proposal.added == ("let the solution call sink in",)
    follow_up.refresh_from_db()
    assert follow_up.surface_at == surface_at
    assert follow_up.not_before == day
    reasons = [(r["why"], r["decides"]) for r in follow_up.hold_reasons()]
    assert reasons == [(said(day), True), ("let the solution call sink in", False)]


# --- The form and its page -------------------------------------------------------------------


def test_the_form_offers_a_labelled_date_picker(account):
    field = FollowUpForm(account=account)["not_before"]
    assert field.label == "Not before"
    assert 'type="date"' in str(field)


def test_the_rep_picks_a_day_on_the_page_and_the_page_says_it_decides(client, rep, account):
    day = owners_today(rep) + timedelta(days=20)
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:followup_create", args=[account.pk]),
        {"purpose": "Ask after the board", "channel": "email", "not_before": day.isoformat()},
    )
    follow_up = FollowUp.objects.get()
    assert response.status_code == 302
    assert follow_up.not_before == day
    page = client.get(reverse("pipeline:followup_detail", args=[follow_up.pk])).content.decode()
    assert said(day) in page
    assert "this one decides" in page


def test_a_past_day_on_the_page_is_said_next_to_the_field(client, rep, account):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:followup_create", args=[account.pk]),
        {"purpose": "Ask", "channel": "email", "not_before": "2001-01-01"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["not_before"] == ["Pick today or a later day."]
    assert not FollowUp.objects.exists()


@fuzz
@given(
    not_before=st.one_of(
        hostile, st.dates().map(date.isoformat), st.integers().map(str), st.just("")
    ),
    purpose=st.one_of(hostile, st.just("Ask after the board")),
)
def test_hostile_not_before_on_the_form(client, rep, account, not_before, purpose):
    client.force_login(rep)
    before = followup_state()
    response = client.post(
        reverse("pipeline:followup_create", args=[account.pk]),
        {"purpose": purpose, "channel": "email", "not_before": not_before},
    )
    assert response.status_code in OK
    after = followup_state()
    if response.status_code == 302:
        assert len(after[0]) == len(before[0]) + 1
    else:
        assert after == before


# --- Who may ---------------------------------------------------------------------------------


def test_who_may_set_it_and_who_sees_it(client, rep, teammate, manager, outsider, account):
    day = owners_today(rep) + timedelta(days=10)
    url = reverse("pipeline:followup_create", args=[account.pk])
    data = {"purpose": "Ask", "channel": "email", "not_before": day.isoformat()}
    client.force_login(teammate)
    assert client.post(url, data).status_code == 403
    client.force_login(outsider)
    assert client.post(url, data).status_code == 404
    assert not FollowUp.objects.exists()
    for user in (rep, manager):
        client.force_login(user)
        assert client.post(url, data).status_code == 302
    assert list(FollowUp.objects.values_list("not_before", flat=True)) == [day, day]
    detail = reverse("pipeline:followup_detail", args=[FollowUp.objects.first().pk])
    for user in (rep, teammate, manager):
        client.force_login(user)
        assert said(day) in client.get(detail).content.decode()
    client.force_login(outsider)
    assert client.get(detail).status_code == 404


# --- The API -------------------------------------------------------------------------------


def test_the_api_takes_the_day_and_shows_it(client, rep, outsider, account):
    day = owners_today(rep) + timedelta(days=12)
    client.force_login(rep)
    body = {"account": account.pk, "purpose": "Ask", "not_before": day.isoformat()}
    response = send(client, "post", "/api/v1/follow-ups/", body)
    assert response.status_code == 201, response.content
    shown = response.json()
    assert shown["not_before"] == day.isoformat()
    assert shown["holds"][-1]["rule"] == "not_before"
    assert shown["holds"][-1]["rule_label"] == patience.NOT_BEFORE_LABEL
    assert shown["holds"][-1]["why"] == said(day)
    refused = send(client, "post", "/api/v1/follow-ups/", {**body, "not_before": "2001-01-01"})
    assert refused.status_code == 400
    assert "today or a later day" in refused.content.decode()
    assert FollowUp.objects.count() == 1
    client.force_login(outsider)
    assert send(client, "get", f"/api/v1/follow-ups/{shown['id']}/").status_code == 404


# --- The audit history -----------------------------------------------------------------------


def test_the_audit_history_records_the_day(rep, account):
    day = owners_today(rep) + timedelta(days=5)
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask", not_before=day
    )
    [created] = [c for c in object_history(follow_up)[0] if c.action == "created"]
    assert "not_before" in [f.name for f in created.fields]
