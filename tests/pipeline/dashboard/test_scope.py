"""Whose deals a dashboard figure counts (a rep their own, a manager the team's, sales ops
everyone's), the filters that narrow them, and the period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline.dashboard import forecast
from pipeline.dashboard.scope import DashboardFilters, Period, Scope
from tests.pipeline.dashboard.conftest import forecast_scope

pytestmark = pytest.mark.django_db


def test_who_sees_which_figures(rep, manager, outsider, book, sales_ops):
    def best_case(user):
        rows = forecast.commit_and_best_case(forecast_scope(user))
        return {r["currency"]: r["best_case"] for r in rows}

    assert best_case(rep) == {"EUR": Decimal("3000.00")}  # a rep: their own
    assert best_case(manager) == {"EUR": Decimal("7000.00"), "GBP": Decimal("500.00")}
    assert best_case(outsider) == {"EUR": Decimal("7777.00")}
    assert best_case(sales_ops)["EUR"] == Decimal("14777.00")


def test_filters_narrow_the_figures(manager, teammate, book):
    rows = forecast.commit_and_best_case(forecast_scope(manager, owner=teammate.pk))
    assert {r["currency"]: r["best_case"] for r in rows} == {
        "EUR": Decimal("4000.00"),
        "GBP": Decimal("500.00"),
    }
    rows = forecast.commit_and_best_case(
        forecast_scope(manager, start=date(2027, 1, 1), end=date(2027, 1, 31))
    )
    assert {r["currency"]: r["best_case"] for r in rows} == {"EUR": Decimal("3000.00")}


def test_a_period_counts_calendar_months_and_a_year_back_from_29_february(manager):
    assert Period(date(2026, 1, 1), date(2026, 6, 30)).months == Decimal("6.00")
    assert Period(date(2025, 11, 24), date(2026, 11, 23)).months == Decimal("12.00")
    assert Period(date(2026, 1, 1), date(2026, 1, 15)).months == Decimal("0.49")
    leap = Scope(user=manager, today=date(2028, 2, 29)).period
    assert (leap.start, leap.end) == (date(2027, 3, 1), date(2028, 2, 29))
    leap_end = Scope(user=manager, filters=DashboardFilters(end=date(2024, 2, 29)))
    assert leap_end.period.start == date(2023, 3, 1)
