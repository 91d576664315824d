"""The dashboard's figures, each worked out in SQL over the deals the user may see.

Reps see their own figures, managers their team's, sales ops and admins everyone's. Every
function takes a `Scope` (who asks, the filters, the period) and returns rows of plain values
that the page, its charts and the CSV downloads all share. Python only does arithmetic on the
aggregates (a rate from two counts), never a loop over deals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    ExtractMonth,
    ExtractYear,
    Round,
    TruncMonth,
)
from django.utils import timezone

from pipeline.deals.flow import WON_RANK
from pipeline.deals.models import CloseReason, Opportunity, Stage, StageChange
from pipeline.deals.selectors import (
    current_why_text,
    found_stuck_condition,
    opportunities_visible_to,
    with_activity,
)
from pipeline.followups.models import FollowUp
from pipeline.soe.models import Sequence, SoeStep
from prospects.models import READINESS_QUESTIONS, Account, Answer, Conversation, LeadSource
from prospects.selectors import visible_owners
from salesflow.core.models import User
from salesflow.core.selectors import owned_visible_to

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)
OPEN, WON, LOST = Stage.Outcome.OPEN, Stage.Outcome.WON, Stage.Outcome.LOST
# Open deals, to filter on: a deal is closed exactly when it sits in a won or lost stage (the
# move keeps closed_at so). PostgreSQL estimates this column well; the stage's outcome, one
# join away, it guesses at a few hundred deals of 40,000 and picks nested loops for them.
OPEN_NOW = Q(closed_at__isnull=True)


# --- SQL helpers ---------------------------------------------------------------------------


class Percentile(Aggregate):
    """A continuous percentile (PostgreSQL's percentile_cont): linear interpolation between
    the closest ranks; NULLs are left out, and no rows give NULL."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: object, fraction: float, **extra: Any) -> None:
        # A number we choose, never user input, so it can sit in the SQL text.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class DaysBetween(Func):
    """Days, with fractions, from the second timestamp to the first: the seconds of their
    difference (an interval) over a day's 86,400."""

    arity = 2
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 86400"
    arg_joiner = " - "
    output_field = FloatField()


def _ids(queryset: QuerySet) -> QuerySet:
    """A queryset's ids for `__in`, without the model's ordering (a sort for nothing)."""
    return queryset.order_by().values("pk")


def _narrow(queryset: QuerySet, **lookups: object) -> QuerySet:
    """The queryset filtered on the lookups that have a value (a filter left empty is none)."""
    return queryset.filter(**{key: value for key, value in lookups.items() if value})


def _rate(part: int | None, whole: int | None) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    return round(100 * (part or 0) / whole, 1) if whole else None


# --- Who, what and when --------------------------------------------------------------------


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
        return _midnight(self.start)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return _midnight(self.end + timedelta(days=1))

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
        return self.user.role == User.Role.REP and not self.user.sees_everything

    @cached_property
    def deals(self) -> QuerySet[Opportunity]:
        """The deals the figures are about, whatever their dates."""
        deals = opportunities_visible_to(self.user)
        if self.sees_own_only:
            deals = deals.filter(owner=self.user)  # a rep's dashboard is their own
        return _narrow(
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
        return _narrow(
            self.deals,
            expected_close_date__gte=self.filters.start,
            expected_close_date__lte=self.filters.end,
        )

    @cached_property
    def accounts(self) -> QuerySet[Account]:
        """The accounts behind the lead counts, narrowed like the deals."""
        accounts = owned_visible_to(Account.objects.all(), self.user)
        if self.sees_own_only:
            accounts = accounts.filter(owner=self.user)
        return _narrow(
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


# --- Pipeline now --------------------------------------------------------------------------


def _weighted() -> ExpressionWrapper:
    return ExpressionWrapper(F("value") * F("stage__probability") / 100, output_field=MONEY)


def pipeline_by_stage(scope: Scope) -> list[dict[str, object]]:
    """Open deals per stage (and currency): count, value, weighted value."""
    return list(
        scope.forecast_deals.filter(OPEN_NOW)
        .values(
            "pipeline__name", "stage__name", "stage__position", "stage__probability", "currency"
        )
        .annotate(count=Count("pk"), amount=Sum("value"), weighted=Round(Sum(_weighted()), 2))
        .order_by("pipeline__name", "stage__position", "stage__name", "currency")
    )


def forecast_by_month(scope: Scope) -> list[dict[str, object]]:
    """Weighted forecast per month of expected close (deals without a date last)."""
    return list(
        scope.forecast_deals.filter(OPEN_NOW)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month", "currency")
        .annotate(count=Count("pk"), amount=Sum("value"), weighted=Round(Sum(_weighted()), 2))
        .order_by(F("month").asc(nulls_last=True), "currency")
    )


def forecast_by_quarter(scope: Scope) -> list[dict[str, object]]:
    """The same per fiscal quarter (the fiscal year is named by the year it starts in)."""
    start = settings.SALESFLOW_FISCAL_YEAR_START_MONTH
    month = ExtractMonth("expected_close_date")
    year = ExtractYear("expected_close_date")
    months_in = Case(
        When(Q(expected_close_date__month__gte=start), then=month - start),
        default=month - start + 12,
        output_field=IntegerField(),
    )
    fiscal_year = Case(
        When(Q(expected_close_date__month__gte=start), then=year),
        default=year - 1,
        output_field=IntegerField(),
    )
    return list(
        scope.forecast_deals.filter(OPEN_NOW, expected_close_date__isnull=False)
        # Whole numbers before dividing: PostgreSQL's EXTRACT gives numeric, and 2 / 3 must be 0.
        .annotate(fiscal_year=fiscal_year, quarter=Cast(months_in, IntegerField()) / 3 + 1)
        .values("fiscal_year", "quarter", "currency")
        .annotate(count=Count("pk"), amount=Sum("value"), weighted=Round(Sum(_weighted()), 2))
        .order_by("fiscal_year", "quarter", "currency")
    )


def commit_and_best_case(scope: Scope) -> list[dict[str, object]]:
    """Per currency: best case (every open deal) and commit (open deals in stages at or above
    the commit probability), in one aggregate."""
    commit = Q(stage__probability__gte=settings.SALESFLOW_COMMIT_PROBABILITY)
    return list(
        scope.forecast_deals.filter(OPEN_NOW)
        .values("currency")
        .annotate(
            best_case=Coalesce(Sum("value"), ZERO),
            commit=Coalesce(Sum("value", filter=commit), ZERO),
            weighted=Coalesce(Round(Sum(_weighted()), 2), ZERO),
        )
        .order_by("currency")
    )


# --- Flow ----------------------------------------------------------------------------------


def _open_stages(scope: Scope) -> list[Stage]:
    """The open stages, pipeline by pipeline, of the pipeline filtered on (or all)."""
    stages = Stage.objects.filter(outcome=OPEN).select_related("pipeline")
    if scope.filters.pipeline:
        stages = stages.filter(pipeline_id=scope.filters.pipeline)
    return list(stages.order_by("pipeline__name", "pipeline_id", "position", "pk"))


def funnel(scope: Scope) -> list[dict[str, object]]:
    """Of the deals opened in the period, how many reached each open stage, and what share of
    those went on to the next stage (the last one: to won).

    "Reached" reads the stage history: a deal that jumped from Qualified to Evaluation
    reached Solution development too, and a won deal reached every stage. So conversion never
    goes above 100% and a skipped stage does not look like a leak."""
    stages = _open_stages(scope)
    if not stages:
        return []
    cohort = scope.deals.filter(scope.during("created_at"))
    # How many deals of each pipeline got exactly this far (see pipeline.deals.flow).
    ranks = list(
        cohort.order_by().values_list("pipeline_id", "furthest_rank").annotate(count=Count("pk"))
    )

    def reached(pipeline: int, position: int) -> int:
        return sum(
            n for of, rank, n in ranks if of == pipeline and rank is not None and rank >= position
        )

    rows = []
    for index, stage in enumerate(stages):
        following = stages[index + 1] if index + 1 < len(stages) else None
        if following is None or following.pipeline_id != stage.pipeline_id:
            onward, onward_name = reached(stage.pipeline_id, WON_RANK), "Won"
        else:
            onward, onward_name = reached(following.pipeline_id, following.position), following.name
        got_here = reached(stage.pipeline_id, stage.position)
        rows.append(
            {
                "pipeline": stage.pipeline.name,
                "stage": stage.name,
                "reached": got_here,
                "next_stage": onward_name,
                "went_on": onward,
                "conversion": _rate(onward, got_here),
            }
        )
    # A pipeline none of these deals went through says nothing.
    busy = {row["pipeline"] for row in rows if row["reached"]}
    return [row for row in rows if row["pipeline"] in busy]


def time_in_stage(scope: Scope) -> list[dict[str, object]]:
    """Per stage: the stays that ended in the period, with their median and 80th-percentile
    length in days. A stay runs from a move into the stage to the deal's next move."""
    stages = _open_stages(scope)
    if not stages:
        return []
    days = DaysBetween("left_at", "at")
    figures = {
        row["to_stage"]: row
        for row in StageChange.objects.filter(
            scope.during("left_at"), opportunity__in=_ids(scope.deals), to_stage__in=stages
        )
        .values("to_stage")
        .annotate(stays=Count("pk"), median=Percentile(days, 0.5), p80=Percentile(days, 0.8))
        .order_by()
    }
    return [
        {
            "pipeline": stage.pipeline.name,
            "stage": stage.name,
            "stays": figures[stage.pk]["stays"],
            "median_days": round(figures[stage.pk]["median"], 1),
            "p80_days": round(figures[stage.pk]["p80"], 1),
        }
        for stage in stages
        if stage.pk in figures
    ]


def _outcome_counts(closed: Q) -> dict[str, Count | Sum | Avg]:
    """Of the deals closed (`closed`): how many were won and lost, the value won and how long
    the wins took. Disqualified deals were never real opportunities, so they are counted
    apart, not as losses."""
    won = closed & Q(stage__outcome=WON)
    disqualified = Q(stage__outcome=LOST, close_reason__kind=CloseReason.Kind.DISQUALIFIED)
    return {
        "won": Count("pk", filter=won),
        "lost": Count("pk", filter=closed & Q(stage__outcome=LOST) & ~disqualified),
        "disqualified": Count("pk", filter=closed & disqualified),
        "won_value": Coalesce(Sum("value", filter=won), ZERO),
        "average_won": Avg("value", filter=won),
        "cycle_days": Avg(DaysBetween("closed_at", "created_at"), filter=won),
    }


def _with_velocity(row: dict[str, object]) -> dict[str, object]:
    """Win rate, and velocity = open deals * win rate * average won value / cycle length:
    how much value the pipeline turns into wins per day at its current pace."""
    won, lost = row["won"] or 0, row["lost"] or 0
    row["win_rate"] = _rate(won, won + lost)
    average, cycle = row.get("average_won"), row.get("cycle_days")
    if average is not None:
        row["average_won"] = Decimal(average).quantize(Decimal("0.01"))
    if cycle is not None:
        row["cycle_days"] = round(cycle, 1)
    if row["win_rate"] is None:
        row["velocity"] = None  # nothing decided: no pace to speak of
    elif not won:
        row["velocity"] = Decimal("0.00")  # decided, and nothing won
    elif average is None or not cycle:
        row["velocity"] = None
    else:
        velocity = row["open"] * Decimal(won) / Decimal(won + lost) * Decimal(average)
        # A deal logged after it was signed has a cycle of minutes; a day is the shortest
        # cycle that keeps velocity a sensible figure.
        row["velocity"] = (velocity / Decimal(max(cycle, 1))).quantize(Decimal("0.01"))
    return row


def outcomes(scope: Scope) -> list[dict[str, object]]:
    """Per currency: win rate, average won deal, sales cycle, open deals and velocity."""
    rows = (
        scope.deals.values("currency")
        .annotate(open=Count("pk", filter=Q(stage__outcome=OPEN)))
        .annotate(**_outcome_counts(scope.during("closed_at")))
        .order_by("currency")
    )
    return [_with_velocity(row) for row in rows if row["open"] or row["won"] or row["lost"]]


def segments(scope: Scope) -> list[dict[str, object]]:
    """The same figures side by side for each segment (deals without one together), with how
    far the deals opened in the period got: qualified, and won so far."""
    opened = scope.during("created_at")
    rows = (
        scope.deals.values("account__segment__name", "currency")
        .annotate(
            open=Count("pk", filter=Q(stage__outcome=OPEN)),
            opened=Count("pk", filter=opened),
            opened_qualified=Count("pk", filter=opened & Q(qualified_at__isnull=False)),
            opened_won=Count("pk", filter=opened & Q(furthest_rank=WON_RANK)),
        )
        .annotate(**_outcome_counts(scope.during("closed_at")))
        .order_by(F("account__segment__name").asc(nulls_last=True), "currency")
    )
    return [
        _with_velocity(
            {
                **row,
                "segment": row.pop("account__segment__name") or "No segment",
                "qualified_share": _rate(row["opened_qualified"], row["opened"]),
                "opened_won_share": _rate(row["opened_won"], row["opened"]),
            }
        )
        for row in rows
        if row["open"] or row["won"] or row["lost"] or row["opened"]
    ]


def velocity_trend(scope: Scope) -> list[dict[str, object]]:
    """Velocity per month: the deals open at the month's end, with the win rate, average won
    value and cycle length of the deals closed in that month."""
    months = scope.period.month_starts()
    ends = [(month + timedelta(days=32)).replace(day=1) for month in months]
    since = max(_midnight(months[0]), scope.period.since)  # the first month from the period's start
    closed = (
        scope.deals.filter(closed_at__gte=since, closed_at__lt=scope.period.until)
        .annotate(month=TruncMonth("closed_at"))
        .values("month", "currency")
        .annotate(**_outcome_counts(Q()))
    )
    open_at_end = scope.deals.values("currency").annotate(
        **{
            f"open_{index}": Count(
                "pk",
                filter=Q(created_at__lt=_midnight(end))
                & (Q(closed_at__isnull=True) | Q(closed_at__gte=_midnight(end))),
            )
            for index, end in enumerate(ends)
        }
    )
    by_key = {(_as_date(row["month"]), row["currency"]): row for row in closed}
    # A currency with nothing won or lost in these months has no trend to draw.
    closing = {currency for (_, currency), row in by_key.items() if row["won"] or row["lost"]}
    rows = []
    for counts in open_at_end.order_by("currency"):
        currency = counts["currency"]
        if currency not in closing:
            continue
        for index, month in enumerate(months):
            figures = by_key.get((month, currency), {"won": 0, "lost": 0})
            row = {
                "month": month,
                "currency": currency,
                "open": counts[f"open_{index}"],
                "won": figures["won"],
                "lost": figures["lost"],
                "average_won": figures.get("average_won"),
                "cycle_days": figures.get("cycle_days"),
            }
            rows.append(_with_velocity(row))
    return rows


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or the month's last day, if it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _as_date(value: date | datetime) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


# --- SOE health ----------------------------------------------------------------------------


def soe_health(scope: Scope) -> dict[str, object]:
    """Of the deals open now or closed in the period: how many have an SOE, and how the
    prospects received theirs."""
    Reception = Sequence.Reception
    counts = scope.deals.filter(OPEN_NOW | scope.during("closed_at")).aggregate(
        deals=Count("pk"),
        with_soe=Count("pk", filter=Q(soe__isnull=False)),
        **{
            reception.value: Count("pk", filter=Q(soe__reception=reception))
            for reception in Reception
        },
    )
    total, with_soe = counts["deals"], counts["with_soe"]
    return {
        "deals": total,
        "with_soe": with_soe,
        "with_soe_share": _rate(with_soe, total),
        "receptions": [
            {
                "reception": reception.label,
                "count": counts[reception.value],
                "share": _rate(counts[reception.value], with_soe),
            }
            for reception in Reception
        ],
    }


def win_rate_by_reception(scope: Scope) -> list[dict[str, object]]:
    """Does a keen reception predict a win? Deals decided in the period, by how the prospect
    received their SOE (or had none)."""
    disqualified = Q(close_reason__kind=CloseReason.Kind.DISQUALIFIED)
    rows = (
        scope.deals.filter(scope.during("closed_at"))
        .exclude(disqualified)
        .annotate(reception=Coalesce("soe__reception", Value("")))
        .values("reception")
        .annotate(won=Count("pk", filter=Q(stage__outcome=WON)), decided=Count("pk"))
        .order_by("reception")
    )
    labels = dict(Sequence.Reception.choices)
    return [
        {
            "reception": labels.get(row["reception"], "No SOE"),
            "won": row["won"],
            "decided": row["decided"],
            "win_rate": _rate(row["won"], row["decided"]),
        }
        for row in rows
    ]


def slipped_steps(scope: Scope) -> list[dict[str, object]]:
    """Per rep, on open deals: SOE steps past their date now, and steps whose date was moved
    later than first agreed."""
    late = Q(target_date__lt=scope.today)
    moved = Q(target_date__gt=F("first_target_date"))
    return list(
        SoeStep.objects.filter(
            sequence__opportunity__in=scope.deals.filter(OPEN_NOW).order_by().values("pk"),
            status=SoeStep.Status.OPEN,
        )
        .values(
            rep_id=F("sequence__opportunity__owner_id"),
            rep=F("sequence__opportunity__owner__username"),
        )
        .annotate(
            open_steps=Count("pk"), late=Count("pk", filter=late), moved=Count("pk", filter=moved)
        )
        .order_by("-late", "-moved", "rep")
    )


# --- Readiness -----------------------------------------------------------------------------


def win_rate_by_readiness(scope: Scope) -> list[dict[str, object]]:
    """Deals decided in the period, by the three reflection answers as they stood when the
    deal was qualified (its first move on to a later stage or to won; see pipeline.deals.flow).
    Deals never qualified are not counted."""
    groups = list(
        scope.deals.filter(scope.during("closed_at"), qualified_at__isnull=False)
        .exclude(close_reason__kind=CloseReason.Kind.DISQUALIFIED)
        .order_by()
        .values_list(*(f"qualified_{name}" for name, _ in READINESS_QUESTIONS))
        .annotate(won=Count("pk", filter=Q(stage__outcome=WON)), decided=Count("pk"))
    )  # a row per combination of answers: 27 at most
    labels = dict(Answer.choices)
    rows = [
        _win_row(question, labels[answer], [g for g in groups if g[position] == answer])
        for position, (_, question) in enumerate(READINESS_QUESTIONS)
        for answer in (Answer.YES, Answer.NO, Answer.UNKNOWN)
    ]
    rows.append(_win_row("All three", "Yes", [g for g in groups if g[:3] == (Answer.YES,) * 3]))
    return rows


def _win_row(question: str, answer: str, groups: list[tuple]) -> dict[str, object]:
    """A readiness row from the answer groups it covers (each: answers, won, decided)."""
    won, decided = sum(group[3] for group in groups), sum(group[4] for group in groups)
    return {
        "question": question,
        "answer": answer,
        "won": won,
        "decided": decided,
        "win_rate": _rate(won, decided),
    }


# --- Lead sources --------------------------------------------------------------------------


def lead_sources(scope: Scope) -> list[dict[str, object]]:
    """Five cents in, ten cents out: per source, what it cost in the period, the leads
    (accounts) it brought, the deals opened in the period that were qualified (moved on to a
    later stage or won), the value won in the period in the source's currency,
    the cost per qualified deal and the return (won value ÷ cost)."""
    period = scope.period
    sources = LeadSource.objects.all()
    if scope.filters.lead_source:
        sources = sources.filter(pk=scope.filters.lead_source)
    leads = dict(
        scope.accounts.filter(scope.during("created_at"))
        .values("lead_source")
        .annotate(count=Count("pk"))
        .values_list("lead_source", "count")
    )
    won = scope.during("closed_at") & Q(stage__outcome=WON, currency=F("lead_source__currency"))
    deals = {
        row["lead_source"]: row
        for row in scope.deals.filter(lead_source__isnull=False)
        .values("lead_source")
        .annotate(
            qualified=Count(
                "pk", filter=scope.during("created_at") & Q(qualified_at__isnull=False)
            ),
            won_value=Coalesce(Sum("value", filter=won), ZERO),
        )
    }
    # A monthly cost is the company's spend: it is not split by rep, team, pipeline or
    # segment, so a narrowed view (or a rep's own) shows no cost for it rather than a wrong one.
    narrowed = scope.sees_own_only or any(
        (scope.filters.team, scope.filters.owner, scope.filters.pipeline, scope.filters.segment)
    )
    rows = []
    for source in sources:
        count = leads.get(source.pk, 0)
        figures = deals.get(source.pk, {"qualified": 0, "won_value": Decimal(0)})
        if source.cost_basis == LeadSource.CostBasis.PER_LEAD:
            cost: Decimal | None = (source.cost * count).quantize(Decimal("0.01"))
        else:
            cost = None if narrowed else (source.cost * period.months).quantize(Decimal("0.01"))
        rows.append(
            {
                "source": source.name,
                "currency": source.currency,
                "cost": cost,
                "leads": count,
                "qualified": figures["qualified"],
                "won_value": figures["won_value"],
                "cost_per_qualified": (cost / figures["qualified"]).quantize(Decimal("0.01"))
                if figures["qualified"] and cost is not None
                else None,
                "return": (figures["won_value"] / cost).quantize(Decimal("0.01")) if cost else None,
            }
        )
    return [row for row in rows if row["leads"] or row["qualified"] or row["won_value"]]


# --- Coaching ------------------------------------------------------------------------------


def happy_ears_condition() -> Q:
    """Deals in commit stages whose evidence does not support the stage: the prospect has not
    said yes to all three reflection questions, or has not received an SOE keenly."""
    answers_missing = Q()
    for name, _ in READINESS_QUESTIONS:
        answers_missing |= ~Q(**{f"account__{name}": Answer.YES})
    return Q(
        stage__outcome=OPEN,
        stage__probability__gte=settings.SALESFLOW_COMMIT_PROBABILITY,
    ) & (answers_missing | Q(soe__isnull=True) | ~Q(soe__reception=Sequence.Reception.KEEN))


def happy_ears_flags(deal: Opportunity) -> list[str]:
    """Why a deal was flagged, from fields already loaded with it."""
    flags = [
        f"{question}: {getattr(deal.account, f'get_{name}_display')()}"
        for name, question in READINESS_QUESTIONS
        if getattr(deal.account, name) != Answer.YES
    ]
    soe = getattr(deal, "soe", None)
    if soe is None:
        flags.append("No SOE")
    elif soe.reception != Sequence.Reception.KEEN:
        flags.append(f"SOE: {soe.get_reception_display().lower()}")
    return flags


def coaching(scope: Scope, *, rep: User | None = None) -> list[dict[str, object]]:
    """Per rep (or for one), over the period: conversations logged, follow-ups surfaced, done
    and dismissed, patience broken (surfaced early on purpose); now: stuck deals and happy
    ears."""
    people = list(scope.people if rep is None else scope.people.filter(pk=rep.pk))
    ids = [person.pk for person in people]
    # One grouped query per table, each a single pass, merged by person below.
    talks = dict(
        Conversation.objects.filter(
            scope.during("occurred_at"), logged_by__in=ids, **scope.account_lookups
        )
        .order_by()
        .values_list("logged_by")
        .annotate(Count("pk"))
    )
    surfaced, closed = scope.during("surfaced_at"), scope.during("closed_at")
    follow_ups = {
        row.pop("owner"): row
        for row in FollowUp.objects.filter(owner__in=ids, **scope.account_lookups)
        .order_by()
        .values("owner")
        .annotate(
            surfaced=Count("pk", filter=surfaced),
            done=Count("pk", filter=closed & Q(status=FollowUp.Status.DONE)),
            dismissed=Count("pk", filter=closed & Q(status=FollowUp.Status.DISMISSED)),
            patience_broken=Count("pk", filter=surfaced & ~Q(surfaced_early_reason="")),
        )
    }
    deals = {
        row.pop("owner"): row
        for row in scope.deals.filter(OPEN_NOW, owner__in=ids)
        .order_by()
        .values("owner")
        .annotate(
            # As the daily stuck check recorded it (less the deals marinating since, as
            # Today shows it): working the rule out live for every open deal costs more
            # than the rest of the dashboard together.
            stuck=Count("pk", filter=found_stuck_condition(now=timezone.now())),
            happy_ears=Count("pk", filter=happy_ears_condition()),
        )
    }
    nothing = {"surfaced": 0, "done": 0, "dismissed": 0, "patience_broken": 0}
    return [
        {
            "rep_id": person.pk,
            "rep": person.get_full_name() or person.username,
            "conversations": talks.get(person.pk, 0),
            **follow_ups.get(person.pk, nothing),
            **deals.get(person.pk, {"stuck": 0, "happy_ears": 0}),
        }
        for person in sorted(people, key=lambda person: person.username)
    ]


@dataclass
class RepCoaching:
    rep: User
    figures: dict[str, object]
    stuck: list[Opportunity]
    broken: list[FollowUp]
    happy_ears: list[tuple[Opportunity, list[str]]]


def rep_coaching(scope: Scope, rep: User, *, limit: int = 50) -> RepCoaching:
    """One rep's coaching view: their figures, and the deals and follow-ups behind them."""
    deals = scope.deals.filter(OPEN_NOW, owner=rep)
    stuck = list(
        with_activity(deals.filter(found_stuck_condition(now=timezone.now())))
        .select_related("account", "stage")
        .annotate(why_text=current_why_text())
        .order_by("stuck_since", "pk")[:limit]
    )
    broken = list(
        FollowUp.objects.filter(scope.during("surfaced_at"), owner=rep, **scope.account_lookups)
        .exclude(surfaced_early_reason="")
        .select_related("account")
        .order_by("-surfaced_at", "-pk")[:limit]
    )
    happy = list(
        deals.filter(happy_ears_condition())
        .select_related("account", "stage", "soe")
        .order_by("-stage__probability", "pk")[:limit]
    )
    figures = next(iter(coaching(scope, rep=rep)), {})
    return RepCoaching(
        rep=rep,
        figures=figures,
        stuck=stuck,
        broken=broken,
        happy_ears=[(deal, happy_ears_flags(deal)) for deal in happy],
    )


# --- Kept figures --------------------------------------------------------------------------

# Every figure of the page, by the name its CSV download uses.
FIGURES: dict[str, Callable[[Scope], Any]] = {
    "totals": commit_and_best_case,
    "stages": pipeline_by_stage,
    "months": forecast_by_month,
    "quarters": forecast_by_quarter,
    "funnel": funnel,
    "time-in-stage": time_in_stage,
    "outcomes": outcomes,
    "velocity": velocity_trend,
    "segments": segments,
    "soe": soe_health,
    "soe-receptions": win_rate_by_reception,
    "slipped-steps": slipped_steps,
    "readiness": win_rate_by_readiness,
    "lead-sources": lead_sources,
    "coaching": coaching,
}
# Asking again sooner than this gives the figures already kept: working them out for a whole
# company takes seconds of the database, and a minute changes little.
REFRESH_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Snapshot:
    """The page's figures as worked out at `taken_at`."""

    taken_at: datetime
    figures: dict[str, Any]

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.taken_at

    @property
    def refreshable(self) -> bool:
        return self.age >= REFRESH_AFTER


def _snapshot_key(scope: Scope) -> str:
    """The same for everyone who sees the same deals: all of them, one team's, or their own
    (the rules of owned_visible_to and Scope.sees_own_only), with the same filters, today."""
    user = scope.user
    if user.sees_everything:
        seen = "all"
    elif scope.sees_own_only or user.team_id is None:
        seen = f"own-{user.pk}"
    else:
        seen = f"team-{user.team_id}"
    asked = hashlib.sha256(repr((scope.filters, scope.today)).encode()).hexdigest()[:32]
    return f"dashboard:1:{seen}:{asked}"


def snapshot(scope: Scope, *, refresh: bool = False) -> Snapshot:
    """The figures kept for this scope if they are recent enough, else worked out now and
    kept for SALESFLOW_DASHBOARD_KEEP_MINUTES. `refresh` works them out again unless they
    are less than REFRESH_AFTER old."""
    kept = _kept(scope)
    if kept is not None and not (refresh and kept.refreshable):
        return kept
    return _take(scope)


def _kept(scope: Scope) -> Snapshot | None:
    kept = cache.get(_snapshot_key(scope))
    return kept if isinstance(kept, Snapshot) else None


def _take(scope: Scope) -> Snapshot:
    taken = Snapshot(
        taken_at=timezone.now(),
        figures={name: figure(scope) for name, figure in FIGURES.items()},
    )
    cache.set(_snapshot_key(scope), taken, timeout=settings.SALESFLOW_DASHBOARD_KEEP_MINUTES * 60)
    return taken


def shared_scopes() -> list[Scope]:
    """The views most often opened and slowest to work out, without filters: the whole
    company (as anyone who sees every deal sees it) and each team (as its manager does)."""
    viewers = User.objects.filter(is_active=True).filter(
        Q(role__in=[User.Role.SALES_OPS, User.Role.ADMIN]) | Q(is_superuser=True)
    )
    managers = User.objects.filter(is_active=True, role=User.Role.MANAGER, team__isnull=False)
    scopes: dict[str, Scope] = {}
    for user in [*viewers.order_by("pk")[:1], *managers.order_by("team_id", "pk")]:
        scope = Scope(user=user)
        scopes.setdefault(_snapshot_key(scope), scope)
    return list(scopes.values())


def keep_fresh(*, older_than: timedelta) -> int:
    """Work the shared views out again when their kept figures are missing or older than
    `older_than`, so that whoever opens them finds them ready. Returns how many."""
    worked_out = 0
    for scope in shared_scopes():
        kept = _kept(scope)
        if kept is not None and kept.age < older_than:
            continue
        _take(scope)
        worked_out += 1
    return worked_out


def forget(scope: Scope) -> None:
    """Drop the figures kept for this scope: the next view works them out."""
    cache.delete(_snapshot_key(scope))
