"""Artificial patience: when a follow-up may surface, and why it waits until then.

Pure functions of the facts handed in (the moment, the rep's time zone, the last
conversation, the last done SOE step…), so every rule is tested with fixed times.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.conf import settings

from pipeline.models import PatienceRule


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


@lru_cache(maxsize=16)
def _holidays(country: str, subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision or None, years=[year, year + 1])


def is_business_day(day: date) -> bool:
    """A weekday that is not a public holiday where the team works."""
    country = settings.SALESFLOW_HOLIDAY_COUNTRY
    subdivision = settings.SALESFLOW_HOLIDAY_SUBDIVISION
    return day.weekday() < 5 and day not in _holidays(country, subdivision, day.year)


def business_morning(after: datetime, *, time_zone: str, mornings: int = 1) -> datetime:
    """The `mornings`-th business morning strictly after `after`, in the rep's zone: a
    Friday-evening call waits until Monday 09:00, or Tuesday if Monday is a holiday."""
    zone = zoneinfo.ZoneInfo(time_zone)
    day = after.astimezone(zone).date()
    found = 0
    while found < max(1, mornings):
        day += timedelta(days=1)
        if is_business_day(day):
            found += 1
    return datetime.combine(day, time(settings.SALESFLOW_BUSINESS_MORNING_HOUR), tzinfo=zone)


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
    """Every hold that applies, the end-of-quarter one judged on the latest of the others."""
    found: list[Hold] = []
    zone = zoneinfo.ZoneInfo(facts.time_zone)
    for rule in rules:
        if rule.kind == PatienceRule.Kind.AFTER_CONVERSATION and facts.last_conversation:
            kind, when = facts.last_conversation
            if kind == rule.conversation_kind:
                until = business_morning(when, time_zone=facts.time_zone, mornings=rule.days)
                found.append(Hold(rule.kind, until, rule.why))
        elif rule.kind == PatienceRule.Kind.AFTER_SOE_STEP and facts.last_step_done_on:
            day = facts.last_step_done_on + timedelta(days=rule.days)
            until = datetime.combine(day, time(settings.SALESFLOW_BUSINESS_MORNING_HOUR), zone)
            found.append(Hold(rule.kind, until, rule.why))
        elif rule.kind == PatienceRule.Kind.DRAGGING_EVALUATION and facts.dragging_evaluation:
            found.append(Hold(rule.kind, facts.now + timedelta(days=rule.days), rule.why))
    latest = max([hold.until for hold in found if hold.until > facts.now], default=facts.now)
    for rule in rules:
        if rule.kind != PatienceRule.Kind.END_OF_QUARTER:
            continue
        day = latest.astimezone(zone).date()
        if (quarter_end(day) - day).days < rule.days:
            until = max(latest, facts.now) + timedelta(days=rule.extra_days)
            found.append(Hold(rule.kind, until, rule.why))
    return [hold for hold in found if hold.until > facts.now]


def surface_at(facts: Facts, found: list[Hold]) -> datetime:
    """The latest hold wins; with none, the follow-up is due at once."""
    return max((hold.until for hold in found), default=facts.now)
