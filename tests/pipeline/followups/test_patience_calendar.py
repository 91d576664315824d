"""Artificial patience and the business calendar: every hold that ends on a day ends on a
business morning — the configured hour, on a weekday that is not a public holiday, in the
rep's own time zone — by one function, patience.business_morning."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.followups import patience
from pipeline.followups.models import PatienceRule

LONDON = "Europe/London"


def at(text: str, zone: str = LONDON) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone))


def rules(*kinds: str) -> list[PatienceRule]:
    return [rule for rule in PatienceRule.objects.filter(active=True) if rule.kind in kinds]


def held_until(facts: patience.Facts, *kinds: str) -> datetime:
    return patience.surface_at(facts, patience.holds(facts, rules(*kinds)))


# --- "The next business morning" after a conversation: strictly after it -------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("logged", "surfaces"),
    [
        ("2026-11-23T00:30", "2026-11-23T09:00"),  # Monday, after midnight: that morning
        ("2026-11-23T07:30", "2026-11-23T09:00"),
        ("2026-11-23T08:59", "2026-11-23T09:00"),
        ("2026-11-23T09:00", "2026-11-24T09:00"),  # exactly 09:00: strictly after, so Tuesday
        ("2026-11-23T09:01", "2026-11-24T09:00"),
        ("2026-11-20T18:30", "2026-11-23T09:00"),  # Friday evening: Monday
        ("2026-11-21T08:00", "2026-11-23T09:00"),  # Saturday morning: Monday
        ("2026-08-28T16:00", "2026-09-01T09:00"),  # Friday before the August bank holiday
        ("2026-08-31T07:30", "2026-09-01T09:00"),  # early on the bank holiday itself
        ("2026-12-24T17:00", "2026-12-29T09:00"),  # Christmas Eve: Christmas, Boxing Day off
    ],
)
def test_a_solution_call_waits_for_the_first_business_morning_strictly_after_it(
    logged: str, surfaces: str
) -> None:
    call = at(logged)
    facts = patience.Facts(
        now=call, time_zone=LONDON, last_conversation=("solution_development", call)
    )
    assert held_until(facts, "after_conversation") == at(surfaces)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("logged", "surfaces", "utc_hour"),
    [
        # British summer time ends on Sunday 25 October 2026: Monday 09:00 is 09:00 UTC.
        ("2026-10-23T17:00", "2026-10-26T09:00", 9),
        ("2026-10-26T07:30", "2026-10-26T09:00", 9),
        # It starts on Sunday 29 March 2026: Monday 09:00 is 08:00 UTC.
        ("2026-03-27T17:00", "2026-03-30T09:00", 8),
        ("2026-03-30T08:30", "2026-03-30T09:00", 8),
    ],
)
def test_a_dst_change_weekend_keeps_the_morning_at_nine_local(
    logged: str, surfaces: str, utc_hour: int
) -> None:
    call = at(logged)
    facts = patience.Facts(now=call, time_zone=LONDON, last_conversation=("decision", call))
    until = held_until(facts, "after_conversation")
    assert until == at(surfaces)
    assert until.astimezone(UTC).hour == utc_hour


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "logged", "surfaces"),
    [
        # 07:30 Monday in Tokyo is still Sunday evening in London: Tokyo's own Monday 09:00.
        ("Asia/Tokyo", "2026-11-23T07:30", "2026-11-23T09:00"),
        # New York moves its clocks on 8 March 2026, three weeks before London.
        ("America/New_York", "2026-03-06T20:00", "2026-03-09T09:00"),
        ("America/New_York", "2026-03-09T08:59", "2026-03-09T09:00"),
        # 22:30 on Tuesday in New York is already Wednesday in London.
        ("America/New_York", "2026-11-24T22:30", "2026-11-25T09:00"),
    ],
)
def test_the_business_morning_is_in_the_reps_own_time_zone(
    zone: str, logged: str, surfaces: str
) -> None:
    call = at(logged, zone)
    facts = patience.Facts(now=call, time_zone=zone, last_conversation=("decision", call))
    assert held_until(facts, "after_conversation") == at(surfaces, zone)


@pytest.mark.django_db
def test_the_morning_hour_is_the_configured_one(settings) -> None:
    settings.SALESFLOW_BUSINESS_MORNING_HOUR = 8
    call = at("2026-11-23T07:59")
    facts = patience.Facts(now=call, time_zone=LONDON, last_conversation=("decision", call))
    assert held_until(facts, "after_conversation") == at("2026-11-23T08:00")
    call = at("2026-11-23T08:00")
    facts = patience.Facts(now=call, time_zone=LONDON, last_conversation=("decision", call))
    assert held_until(facts, "after_conversation") == at("2026-11-24T08:00")


@pytest.mark.django_db
def test_a_rule_of_two_mornings_skips_the_weekend_twice() -> None:
    PatienceRule.objects.filter(conversation_kind="decision").update(days=2)
    call = at("2026-11-20T07:00")  # Friday before nine: Friday is the first, Monday the second
    facts = patience.Facts(now=call, time_zone=LONDON, last_conversation=("decision", call))
    assert held_until(facts, "after_conversation") == at("2026-11-23T09:00")


# --- Holds counted in days end on a business morning too -------------------------------------


@pytest.mark.django_db
def test_a_step_done_on_wednesday_marinates_until_monday_morning_not_saturday() -> None:
    facts = patience.Facts(
        now=at("2026-11-11T15:00"), time_zone=LONDON, last_step_done_on=date(2026, 11, 11)
    )
    assert held_until(facts, "after_soe_step") == at("2026-11-16T09:00")


@pytest.mark.django_db
def test_a_step_marinating_into_a_bank_holiday_waits_until_the_day_after() -> None:
    facts = patience.Facts(  # Friday + 3 days = Monday 31 August, a bank holiday
        now=at("2026-08-28T15:00"), time_zone=LONDON, last_step_done_on=date(2026, 8, 28)
    )
    assert held_until(facts, "after_soe_step") == at("2026-09-01T09:00")


@pytest.mark.django_db
def test_a_step_marinates_until_the_morning_in_the_reps_zone() -> None:
    facts = patience.Facts(
        now=at("2026-11-10T12:00", "Asia/Tokyo"),
        time_zone="Asia/Tokyo",
        last_step_done_on=date(2026, 11, 10),
    )
    assert held_until(facts, "after_soe_step") == at("2026-11-13T09:00", "Asia/Tokyo")


@pytest.mark.django_db
def test_the_end_of_quarter_hold_never_surfaces_on_christmas_day() -> None:
    now = at("2026-12-23T10:00")  # + 2 days = Friday 25 December, 10:00
    facts = patience.Facts(now=now, time_zone=LONDON)
    (hold,) = patience.holds(facts, rules("end_of_quarter"))
    # Christmas, a weekend and Boxing Day observed on Monday 28th: Tuesday morning.
    assert hold.until == at("2026-12-29T09:00")


@pytest.mark.django_db
def test_the_end_of_quarter_hold_on_top_of_another_ends_on_a_business_morning() -> None:
    call = at("2026-12-21T11:00")  # Monday: next morning Tuesday 22nd, + 2 days = Thursday 24th
    facts = patience.Facts(now=call, time_zone=LONDON, last_conversation=("decision", call))
    found = patience.holds(facts, rules("after_conversation", "end_of_quarter"))
    assert patience.surface_at(facts, found) == at("2026-12-24T09:00")
    call = at("2026-12-22T11:00")  # next morning Wednesday 23rd, + 2 days = Christmas Day
    facts = patience.Facts(now=call, time_zone=LONDON, last_conversation=("decision", call))
    found = patience.holds(facts, rules("after_conversation", "end_of_quarter"))
    assert patience.surface_at(facts, found) == at("2026-12-29T09:00")


@pytest.mark.django_db
def test_a_dragging_evaluation_hold_ends_on_a_business_morning() -> None:
    now = at("2026-11-18T14:30")  # Wednesday afternoon + 7 days = Wednesday 14:30
    facts = patience.Facts(now=now, time_zone=LONDON, dragging_evaluation=True)
    assert held_until(facts, "dragging_evaluation") == at("2026-11-26T09:00")
    now = at("2026-11-21T10:00")  # Saturday + 7 days = Saturday: Monday morning
    facts = patience.Facts(now=now, time_zone=LONDON, dragging_evaluation=True)
    assert held_until(facts, "dragging_evaluation") == at("2026-11-30T09:00")


@pytest.mark.django_db
def test_every_rule_in_every_zone_ends_on_a_business_morning() -> None:
    for zone in (LONDON, "America/New_York", "Asia/Tokyo", "Australia/Sydney"):
        for offset in range(0, 24 * 21, 5):  # three weeks, every five hours
            now = at("2026-12-01T00:00", zone) + timedelta(hours=offset)
            facts = patience.Facts(
                now=now,
                time_zone=zone,
                last_conversation=("solution_development", now),
                last_step_done_on=now.date(),
                dragging_evaluation=True,
            )
            for hold in patience.holds(facts, list(PatienceRule.objects.filter(active=True))):
                local = hold.until.astimezone(zoneinfo.ZoneInfo(zone))
                assert (local.hour, local.minute) == (9, 0), (zone, now, hold)
                assert patience.is_business_day(local.date()), (zone, now, hold)


# --- The property, for any moment, zone and morning hour -------------------------------------

ZONES = [
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
]
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.sampled_from([zoneinfo.ZoneInfo(zone) for zone in ZONES]),
)


def _morning_of(day: date, zone: zoneinfo.ZoneInfo, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)


@settings(max_examples=300, deadline=None)
@given(
    moment=moments,
    zone=st.sampled_from(ZONES),
    hour=st.integers(min_value=0, max_value=23),
    strictly_after=st.booleans(),
    on_the_hour=st.booleans(),
)
def test_the_business_morning_is_the_first_one_after_the_moment(
    moment: datetime, zone: str, hour: int, strictly_after: bool, on_the_hour: bool
) -> None:
    tz = zoneinfo.ZoneInfo(zone)
    if on_the_hour:  # the edge: the moment is itself a morning
        moment = _morning_of(moment.astimezone(tz).date(), tz, hour)
    with override_settings(SALESFLOW_BUSINESS_MORNING_HOUR=hour):
        result = patience.business_morning(moment, time_zone=zone, strictly_after=strictly_after)
    local = result.astimezone(tz)
    assert patience.is_business_day(local.date())
    assert (local.hour, local.minute, local.second, local.microsecond) == (hour, 0, 0, 0)
    assert result > moment if strictly_after else result >= moment
    # No business morning lies between the moment and the result.
    day = moment.astimezone(tz).date() - timedelta(days=1)
    while day < local.date():
        morning = _morning_of(day, tz, hour)
        if patience.is_business_day(day):
            assert morning < moment or (strictly_after and morning == moment), (day, result)
        day += timedelta(days=1)
