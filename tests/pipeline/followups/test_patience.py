"""Artificial patience: the rules, with fixed times."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from pipeline.followups import patience
from pipeline.followups.models import PatienceRule

LONDON = "Europe/London"
UTC = zoneinfo.ZoneInfo("UTC")


def at(text: str, zone: str = LONDON) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone))


def rules(*kinds: str) -> list[PatienceRule]:
    return [rule for rule in PatienceRule.objects.filter(active=True) if rule.kind in kinds]


@pytest.mark.django_db
def test_a_friday_evening_solution_call_waits_until_monday_morning():
    friday_evening = at("2026-11-20T18:30")
    facts = patience.Facts(
        now=friday_evening,
        time_zone=LONDON,
        last_conversation=("solution_development", friday_evening),
    )
    found = patience.holds(facts, rules("after_conversation"))
    assert patience.surface_at(facts, found) == at("2026-11-23T09:00")
    assert found[0].why == "let the solution call sink in"


@pytest.mark.django_db
def test_a_bank_holiday_monday_pushes_it_to_tuesday():
    friday = at("2026-08-28T16:00")  # Monday 31 August 2026 is a bank holiday in England
    facts = patience.Facts(now=friday, time_zone=LONDON, last_conversation=("decision", friday))
    assert patience.surface_at(facts, patience.holds(facts, rules("after_conversation"))) == at(
        "2026-09-01T09:00"
    )


@pytest.mark.django_db
def test_the_business_morning_is_the_reps_own():
    call = at("2026-11-24T22:30", "America/New_York")  # already Wednesday in London
    facts = patience.Facts(
        now=call, time_zone="America/New_York", last_conversation=("solution_development", call)
    )
    until = patience.surface_at(facts, patience.holds(facts, rules("after_conversation")))
    assert until == at("2026-11-25T09:00", "America/New_York")


@pytest.mark.django_db
def test_another_kind_of_conversation_holds_nothing():
    now = at("2026-11-20T10:00")
    facts = patience.Facts(now=now, time_zone=LONDON, last_conversation=("qualifying", now))
    assert patience.holds(facts, rules("after_conversation")) == []


@pytest.mark.django_db
def test_a_done_soe_step_marinates_for_its_days():
    facts = patience.Facts(
        now=at("2026-11-10T12:00"), time_zone=LONDON, last_step_done_on=date(2026, 11, 10)
    )
    found = patience.holds(facts, rules("after_soe_step"))
    assert patience.surface_at(facts, found) == at("2026-11-13T09:00")


@pytest.mark.django_db
def test_near_quarter_end_it_waits_longer_and_is_flagged(settings):
    now = at("2026-12-23T11:00")  # inside the last 10 days of the calendar quarter
    facts = patience.Facts(now=now, time_zone=LONDON)
    found = patience.holds(facts, rules("end_of_quarter"))
    assert [hold.rule for hold in found] == ["end_of_quarter"]
    # Two days on is Christmas Day: it waits for the next business morning.
    assert found[0].until == at("2026-12-29T09:00")
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 2  # quarters end Jan, Apr, Jul, Oct
    assert patience.holds(facts, rules("end_of_quarter")) == []


@pytest.mark.django_db
def test_rules_combine_the_latest_hold_wins_and_every_rule_is_listed():
    friday = at("2026-12-18T17:00")
    facts = patience.Facts(
        now=friday,
        time_zone=LONDON,
        last_conversation=("solution_development", friday),
        last_step_done_on=date(2026, 12, 18),
        dragging_evaluation=True,
    )
    found = patience.holds(facts, list(PatienceRule.objects.filter(active=True)))
    kinds = {hold.rule for hold in found}
    assert kinds == {
        "after_conversation",
        "after_soe_step",
        "dragging_evaluation",
        "end_of_quarter",
    }
    dragging = next(h for h in found if h.rule == "dragging_evaluation").until  # 25 Dec
    assert patience.surface_at(facts, found) == dragging + timedelta(days=2)


def test_fiscal_quarters_follow_the_fiscal_year(settings):
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 4
    assert patience.quarter_end(date(2026, 11, 23)) == date(2026, 12, 31)
    assert patience.quarter_end(date(2026, 4, 1)) == date(2026, 6, 30)
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 2
    assert patience.quarter_end(date(2026, 1, 15)) == date(2026, 1, 31)
    assert patience.quarter_end(date(2026, 12, 15)) == date(2027, 1, 31)


@pytest.mark.django_db
def test_an_after_conversation_rule_names_its_conversation_kind():
    rule = PatienceRule(kind="after_conversation", conversation_kind="", days=1, why="wait")
    with pytest.raises(ValidationError, match="which kind of conversation"):
        rule.full_clean()
