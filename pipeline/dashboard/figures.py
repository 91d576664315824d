"""The dashboard's figures over the period, each worked out in SQL over the deals the scope
may see: flow (conversion between stages, time in stage, win rate, deal size, cycle and
velocity, per currency and per segment), SOE health, win rate by readiness and the lead
sources' return. The pipeline now is in forecast.py, the coaching figures in coaching.py.

Every function takes a `Scope` (who asks, the filters, the period) and returns rows of plain
values that the page, its charts and the CSV downloads all share. Python only does
arithmetic on the aggregates (a rate from two counts), never a loop over deals.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from pipeline.dashboard.scope import Scope, midnight
from pipeline.dashboard.sql import (
    LOST,
    OPEN,
    OPEN_NOW,
    WON,
    ZERO,
    DaysBetween,
    Percentile,
    ids_of,
    rate,
)
from pipeline.deals.flow import WON_RANK
from pipeline.deals.models import CloseReason, Stage, StageChange
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeStep
from prospects.models import READINESS_QUESTIONS, Answer, LeadSource

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
                "conversion": rate(onward, got_here),
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
            scope.during("left_at"), opportunity__in=ids_of(scope.deals), to_stage__in=stages
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
    row["win_rate"] = rate(won, won + lost)
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
                "qualified_share": rate(row["opened_qualified"], row["opened"]),
                "opened_won_share": rate(row["opened_won"], row["opened"]),
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
    since = max(midnight(months[0]), scope.period.since)  # the first month from the period's start
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
                filter=Q(created_at__lt=midnight(end))
                & (Q(closed_at__isnull=True) | Q(closed_at__gte=midnight(end))),
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


def _as_date(value: date | datetime) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


# --- SOE health ----------------------------------------------------------------------------


def soe_health(scope: Scope) -> dict[str, object]:
    """Of the deals open now or closed in the period: how many have an SOE, and how the
    prospects received theirs."""
    Reception = SoeSequence.Reception
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
        "with_soe_share": rate(with_soe, total),
        "receptions": [
            {
                "reception": reception.label,
                "count": counts[reception.value],
                "share": rate(counts[reception.value], with_soe),
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
    labels = dict(SoeSequence.Reception.choices)
    return [
        {
            "reception": labels.get(row["reception"], "No SOE"),
            "won": row["won"],
            "decided": row["decided"],
            "win_rate": rate(row["won"], row["decided"]),
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
        "win_rate": rate(won, decided),
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
