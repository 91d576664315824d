"""The manager's dashboard figures, each one SQL aggregate over the deals the user may see.

Reps see their own figures, managers their team's, sales ops and admins everyone's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear, TruncMonth

from pipeline.models import Opportunity, Stage
from pipeline.selectors import opportunities_visible_to
from salesflow.core.models import User

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)


@dataclass(frozen=True)
class DashboardFilters:
    team: int | None = None
    owner: int | None = None
    pipeline: int | None = None
    segment: int | None = None
    lead_source: int | None = None
    start: date | None = None  # expected close from
    end: date | None = None  # expected close until


def deals_for(*, user: User, filters: DashboardFilters) -> QuerySet[Opportunity]:
    """The deals the figures are about: whose the user may see, narrowed by the filters."""
    deals = opportunities_visible_to(user)
    if user.role == User.Role.REP and not user.sees_everything:
        deals = deals.filter(owner=user)  # a rep's dashboard is their own
    lookups = {
        "owner__team_id": filters.team,
        "owner_id": filters.owner,
        "pipeline_id": filters.pipeline,
        "account__segment_id": filters.segment,
        "lead_source_id": filters.lead_source,
        "expected_close_date__gte": filters.start,
        "expected_close_date__lte": filters.end,
    }
    return deals.filter(**{key: value for key, value in lookups.items() if value})


def _weighted() -> ExpressionWrapper:
    return ExpressionWrapper(F("value") * F("stage__probability") / 100, output_field=MONEY)


def pipeline_by_stage(*, deals: QuerySet[Opportunity]) -> list[dict[str, object]]:
    """Open deals per stage (and currency): count, value, weighted value."""
    return list(
        deals.filter(stage__outcome=Stage.Outcome.OPEN)
        .values(
            "pipeline__name", "stage__name", "stage__position", "stage__probability", "currency"
        )
        .annotate(count=Count("pk"), amount=Sum("value"), weighted=Sum(_weighted()))
        .order_by("pipeline__name", "stage__position", "stage__name", "currency")
    )


def forecast_by_month(*, deals: QuerySet[Opportunity]) -> list[dict[str, object]]:
    """Weighted forecast per month of expected close (deals without a date last)."""
    return list(
        deals.filter(stage__outcome=Stage.Outcome.OPEN)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month", "currency")
        .annotate(count=Count("pk"), amount=Sum("value"), weighted=Sum(_weighted()))
        .order_by(F("month").asc(nulls_last=True), "currency")
    )


def forecast_by_quarter(*, deals: QuerySet[Opportunity]) -> list[dict[str, object]]:
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
        deals.filter(stage__outcome=Stage.Outcome.OPEN, expected_close_date__isnull=False)
        .annotate(fiscal_year=fiscal_year, quarter=months_in / 3 + 1)
        .values("fiscal_year", "quarter", "currency")
        .annotate(count=Count("pk"), amount=Sum("value"), weighted=Sum(_weighted()))
        .order_by("fiscal_year", "quarter", "currency")
    )


def commit_and_best_case(*, deals: QuerySet[Opportunity]) -> list[dict[str, object]]:
    """Per currency: best case (every open deal) and commit (open deals in stages at or above
    the commit probability), in one aggregate."""
    commit = Q(stage__probability__gte=settings.SALESFLOW_COMMIT_PROBABILITY)
    return list(
        deals.filter(stage__outcome=Stage.Outcome.OPEN)
        .values("currency")
        .annotate(
            best_case=Coalesce(Sum("value"), ZERO),
            commit=Coalesce(Sum("value", filter=commit), ZERO),
            weighted=Coalesce(Sum(_weighted()), ZERO),
        )
        .order_by("currency")
    )
