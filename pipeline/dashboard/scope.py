"""What a dashboard figure is about: who asks (and so which deals, accounts and people they
may see), the filters they chose, and the period. Reps see their own figures, managers their
team's, sales ops and admins everyone's. The cache key of a view's kept figures is here too:
it is the same for exactly the people who see the same deals."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property

from django.db.models import Q, QuerySet
from django.utils import timezone

from pipeline.dashboard.sql import narrow
from pipeline.deals.access import opportunities_visible_to
from pipeline.deals.models import Opportunity
from prospects.access import accounts_visible_to
from prospects.models import Account
from prospects.selectors import visible_owners
from salesflow.core.access import Reach, reach_of
from salesflow.core.models import User


def sees_own_only(user: User) -> bool:
    """A rep's dashboard is their own: their figures only, and no team or rep to pick. The
    navigation offers the dashboard to the others (User.oversees_others)."""
    return not user.oversees_others


@dataclass(frozen=True)
class DashboardFilters:
    team: int | None = None
    owner: int | None = None
    pipeline: int | None = None
    segment: int | None = None
    lead_source: int | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return midnight(self.start)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return midnight(self.end + timedelta(days=1))

    @property
    def months(self) -> Decimal:
        """How many months long, for a cost paid per month: whole calendar months count as
        one each, the days left over as their share of an average month."""
        after = self.end + timedelta(days=1)
        whole = (after.year - self.start.year) * 12 + after.month - self.start.month
        anniversary = add_months(self.start, whole)
        if anniversary > after:
            whole -= 1
            anniversary = add_months(self.start, whole)
        days_left = (after - anniversary).days
        return (whole + Decimal(days_left) * 12 / Decimal("365.25")).quantize(Decimal("0.01"))

    def month_starts(self, most: int = 24) -> list[date]:
        """The first day of every month the period touches, the latest `most` of them."""
        months = []
        day = self.start.replace(day=1)
        while day <= self.end:
            months.append(day)
            day = (day + timedelta(days=32)).replace(day=1)
        return months[-most:]


@dataclass
class Scope:
    """What every figure is about: the deals the user may see, narrowed by the filters, and
    the period. Without dates the period is the last twelve months."""

    user: User
    filters: DashboardFilters = field(default_factory=DashboardFilters)
    today: date = field(default_factory=timezone.localdate)

    @cached_property
    def period(self) -> Period:
        end = self.filters.end or self.today
        # A year back (29 February steps back to the 28th), then the day after.
        year_ago = end.replace(
            year=end.year - 1, day=min(end.day, 28) if end.month == 2 else end.day
        )
        start = self.filters.start or (year_ago + timedelta(days=1))
        return Period(start=min(start, end), end=end)

    @property
    def sees_own_only(self) -> bool:
        return sees_own_only(self.user)

    @property
    def reach(self) -> Reach:
        """Whose deals the figures are about: the user's reach (salesflow.core.access), or
        their own on a rep's dashboard."""
        return Reach.own(self.user) if self.sees_own_only else reach_of(self.user)

    @cached_property
    def deals(self) -> QuerySet[Opportunity]:
        """The deals the figures are about, whatever their dates."""
        deals = opportunities_visible_to(self.user)
        if self.sees_own_only:
            deals = deals.filter(owner=self.user)  # a rep's dashboard is their own
        return narrow(
            deals,
            owner__team_id=self.filters.team,
            owner_id=self.filters.owner,
            pipeline_id=self.filters.pipeline,
            account__segment_id=self.filters.segment,
            lead_source_id=self.filters.lead_source,
        )

    @cached_property
    def forecast_deals(self) -> QuerySet[Opportunity]:
        """The deals for "pipeline now": dates, when given, bound the expected close."""
        return narrow(
            self.deals,
            expected_close_date__gte=self.filters.start,
            expected_close_date__lte=self.filters.end,
        )

    @cached_property
    def accounts(self) -> QuerySet[Account]:
        """The accounts behind the lead counts, narrowed like the deals."""
        accounts = accounts_visible_to(self.user)
        if self.sees_own_only:
            accounts = accounts.filter(owner=self.user)
        return narrow(
            accounts,
            owner__team_id=self.filters.team,
            owner_id=self.filters.owner,
            segment_id=self.filters.segment,
            lead_source_id=self.filters.lead_source,
        )

    @property
    def account_lookups(self) -> dict[str, int]:
        """The filters that apply to anything kept on an account (conversations, follow-ups):
        segment and lead source. A pipeline filter does not apply to them."""
        lookups = {
            "account__segment_id": self.filters.segment,
            "account__lead_source_id": self.filters.lead_source,
        }
        return {key: value for key, value in lookups.items() if value}

    @cached_property
    def people(self) -> QuerySet[User]:
        """The reps (and managers, who sell too) whose coaching figures the user may see."""
        if self.sees_own_only:
            people = User.objects.filter(pk=self.user.pk)
        else:
            people = visible_owners(self.user).filter(role__in=[User.Role.REP, User.Role.MANAGER])
        if self.filters.team:
            people = people.filter(team_id=self.filters.team)
        if self.filters.owner:
            people = people.filter(pk=self.filters.owner)
        return people

    def during(self, field: str) -> Q:
        """`field` falls within the period."""
        return Q(**{f"{field}__gte": self.period.since, f"{field}__lt": self.period.until})

    @property
    def cache_key(self) -> str:
        """The key of this view's kept figures (see pipeline.dashboard.snapshot): the same
        for everyone who sees the same deals (their reach: all of them, one team's, or their
        own), with the same filters, today."""
        asked = hashlib.sha256(repr((self.filters, self.today)).encode()).hexdigest()[:32]
        # The 2 versions what is kept: a pickled snapshot.Snapshot, which the cache reads back
        # by its module's path. Figures kept by the code before a deploy that moved the class
        # (1: pipeline.dashboard.Snapshot) would fail to load; under a new key they expire.
        return f"dashboard:2:{self.reach.key}:{asked}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or the month's last day, if it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
