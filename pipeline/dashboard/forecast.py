"""The dashboard's "pipeline now": the open deals by stage, the weighted forecast by month and
by fiscal quarter, commit and best case. Dates, when given, bound the expected close (see
Scope.forecast_deals), not the period."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, Q, Sum, When
from django.db.models.functions import Cast, Coalesce, ExtractMonth, ExtractYear, Round, TruncMonth

from pipeline.dashboard.scope import Scope
from pipeline.dashboard.sql import MONEY, OPEN_NOW, ZERO


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
