"""Artificial patience: when a follow-up may surface, and why it waits until then.

Pure functions of the facts handed in (the moment, the rep's time zone, the last
conversation, the last done SOE step…), so every rule is tested with fixed times.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import dateformat, timezone

from pipeline.followups.models import PatienceRule

# The hold of the day a rep chose ("not before"), beside the kinds of PatienceRule.
NOT_BEFORE = "not_before"
NOT_BEFORE_LABEL = "Not before the day the rep chose"


@dataclass(frozen=True)
class Hold:
    rule: str  # the rule's kind
    until: datetime
    why: str

    def as_json(self) -> dict[str, str]:
        return {"rule": self.rule, "until": self.until.isoformat(), "why": self.why}


@dataclass(frozen=True)
class Facts:
    """What the rules look at, gathered once by the service."""

    now: datetime
    time_zone: str
    last_conversation: tuple[str, datetime] | None = None  # (kind, when)
    last_step_done_on: date | None = None
    dragging_evaluation: bool = False
    not_before: date | None = None  # the day the rep chose, if any


@lru_cache(maxsize=16)
def _holidays(country: str, subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision or None, years=[year, year + 1])


def is_business_day(day: date) -> bool:
    """A weekday that is not a public holiday where the team works."""
    country = settings.SALESFLOW_HOLIDAY_COUNTRY
    subdivision = settings.SALESFLOW_HOLIDAY_SUBDIVISION
    return day.weekday() < 5 and day not in _holidays(country, subdivision, day.year)


def business_morning(
    moment: datetime, *, time_zone: str, strictly_after: bool, mornings: int = 1
) -> datetime:
    """The business morning (SALESFLOW_BUSINESS_MORNING_HOUR on a business day, in the rep's
    zone) strictly after `moment`, or on or after it; with `mornings`, the N-th such.

    Every hold that ends on a day ends here, so none surfaces on a weekend, a holiday or at
    an odd hour. "The next business morning" after a conversation is strictly after it: a
    call at 07:30 on a Monday waits until 09:00 that Monday, one at 09:00 until Tuesday.
    Holds counted in days end on the business morning on or after the day they count to."""
    zone = zoneinfo.ZoneInfo(time_zone)
    hour = time(settings.SALESFLOW_BUSINESS_MORNING_HOUR)
    moment = moment.astimezone(UTC)  # compared in UTC: wall clocks repeat in a DST change
    day = moment.astimezone(zone).date()
    first = datetime.combine(day, hour, tzinfo=zone).astimezone(UTC)
    if first < moment or (strictly_after and first == moment):
        day += timedelta(days=1)
    wanted = max(1, mornings)
    while True:
        if is_business_day(day):
            wanted -= 1
            if not wanted:
                return datetime.combine(day, hour, tzinfo=zone)
        day += timedelta(days=1)


def _month_start(year: int, month: int) -> date:
    """The first of a month counted from January of `year` (month 13 = next January)."""
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def quarter_end(day: date) -> date:
    """The last day of the fiscal quarter `day` falls in (the fiscal year starts on the
    first of SALESFLOW_FISCAL_YEAR_START_MONTH)."""
    into_quarter = ((day.month - settings.SALESFLOW_FISCAL_YEAR_START_MONTH) % 12) % 3
    next_quarter = _month_start(day.year, day.month - into_quarter + 3)
    return next_quarter - timedelta(days=1)


def holds(facts: Facts, rules: list[PatienceRule]) -> list[Hold]:
    """Every hold that applies, the end-of-quarter one judged on the latest of the others.
    Each ends on a business morning (see business_morning): the rules count the days, the
    business calendar says when the rep is back at work."""
    found: list[Hold] = []
    zone = zoneinfo.ZoneInfo(facts.time_zone)

    def morning(moment: datetime, *, strictly_after: bool = False, mornings: int = 1) -> datetime:
        return business_morning(
            moment, time_zone=facts.time_zone, strictly_after=strictly_after, mornings=mornings
        )

    for rule in rules:
        if rule.kind == PatienceRule.Kind.AFTER_CONVERSATION and facts.last_conversation:
            kind, when = facts.last_conversation
            if kind == rule.conversation_kind:
                until = morning(when, strictly_after=True, mornings=rule.days)
                found.append(Hold(rule.kind, until, rule.why))
        elif rule.kind == PatienceRule.Kind.AFTER_SOE_STEP and facts.last_step_done_on:
            day = facts.last_step_done_on + timedelta(days=rule.days)
            hour = time(settings.SALESFLOW_BUSINESS_MORNING_HOUR)
            found.append(Hold(rule.kind, morning(datetime.combine(day, hour, zone)), rule.why))
        elif (  # a hold of no days holds nothing, rather than until the next business morning
            rule.kind == PatienceRule.Kind.DRAGGING_EVALUATION
            and facts.dragging_evaluation
            and rule.days
        ):
            until = morning(facts.now + timedelta(days=rule.days))
            found.append(Hold(rule.kind, until, rule.why))
    if facts.not_before is not None:
        # The rep's day holds like any rule (the end-of-quarter caution below judges it too):
        # from that day's business morning, so a Saturday waits for Monday.
        hour = time(settings.SALESFLOW_BUSINESS_MORNING_HOUR)
        until = morning(datetime.combine(facts.not_before, hour, zone))
        why = f"Not before {dateformat.format(facts.not_before, 'j M')}, as you chose"
        found.append(Hold(NOT_BEFORE, until, why))
    latest = max([hold.until for hold in found if hold.until > facts.now], default=facts.now)
    for rule in rules:
        if rule.kind != PatienceRule.Kind.END_OF_QUARTER:
            continue
        day = latest.astimezone(zone).date()
        # A hold of no days holds nothing, rather than until the next business morning.
        if (quarter_end(day) - day).days < rule.days and (rule.extra_days or latest > facts.now):
            until = morning(max(latest, facts.now) + timedelta(days=rule.extra_days))
            found.append(Hold(rule.kind, until, rule.why))
    return [hold for hold in found if hold.until > facts.now]


def surface_at(facts: Facts, found: list[Hold]) -> datetime:
    """The latest hold wins; with none, the follow-up is due at once."""
    return max((hold.until for hold in found), default=facts.now)


def describe_end(until: datetime, *, now: datetime | None = None) -> str:
    """How the end of a hold reads wherever one is shown, in the current time zone (on a
    page, the viewer's): the day and the time within this week ("Wednesday 09:00"); beyond
    it the date too ("Wednesday 20 May, 09:00"), and the year when it is not this year's. A
    day name alone would say "this Wednesday" of a hold that ends weeks away."""
    until = timezone.localtime(until)
    today = timezone.localtime(now or timezone.now())
    if until.isocalendar()[:2] == today.isocalendar()[:2]:
        return dateformat.format(until, "l H:i")
    if until.year == today.year:
        return dateformat.format(until, "l j F, H:i")
    return dateformat.format(until, "l j F Y, H:i")
