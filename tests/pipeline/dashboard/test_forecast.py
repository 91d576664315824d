"""The dashboard's "pipeline now" figures, on a small book of deals built by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline.dashboard import forecast
from tests.pipeline.dashboard.conftest import forecast_scope

pytestmark = pytest.mark.django_db


def test_pipeline_by_stage_counts_values_and_weights_open_deals(manager, book):
    rows = forecast.pipeline_by_stage(forecast_scope(manager))
    got = [(r["stage__name"], r["currency"], r["count"], r["amount"], r["weighted"]) for r in rows]
    assert got == [
        ("Lead", "EUR", 1, Decimal("1000.00"), Decimal("100.00")),
        ("Qualified", "GBP", 1, Decimal("500.00"), Decimal("125.00")),
        ("Evaluation", "EUR", 1, Decimal("2000.00"), Decimal("1400.00")),
        ("Decision", "EUR", 1, Decimal("4000.00"), Decimal("3400.00")),
    ]


def test_forecast_by_month_and_fiscal_quarter(manager, book, settings):
    months = forecast.forecast_by_month(forecast_scope(manager))
    assert [(r["month"], r["currency"], r["weighted"]) for r in months] == [
        (date(2027, 1, 1), "EUR", Decimal("1500.00")),
        (date(2027, 4, 1), "EUR", Decimal("3400.00")),
        (None, "GBP", Decimal("125.00")),
    ]
    quarters = forecast.forecast_by_quarter(forecast_scope(manager))
    assert [(r["fiscal_year"], r["quarter"], r["weighted"]) for r in quarters] == [
        (2027, 1, Decimal("1500.00")),
        (2027, 2, Decimal("3400.00")),
    ]
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 4  # FY2026 runs from April 2026 to March 2027
    quarters = forecast.forecast_by_quarter(forecast_scope(manager))
    assert [(r["fiscal_year"], r["quarter"], r["weighted"]) for r in quarters] == [
        (2026, 4, Decimal("1500.00")),
        (2027, 1, Decimal("3400.00")),
    ]


def test_commit_and_best_case(manager, book):
    totals = {r["currency"]: r for r in forecast.commit_and_best_case(forecast_scope(manager))}
    assert totals["EUR"]["best_case"] == Decimal("7000.00")
    assert totals["EUR"]["commit"] == Decimal("6000.00")  # Evaluation 70% and Decision 85%
    assert totals["GBP"]["commit"] == Decimal("0")


def test_a_fiscal_quarter_is_one_row_whatever_its_months(manager, rep, open_deal, book):
    """PostgreSQL's EXTRACT gives numeric: without whole numbers, January, February and
    March were three quarters 1, 1.33 and 1.67."""
    open_deal(rep, "Evaluation", expected_close_date=date(2027, 2, 10), value=1000)
    open_deal(rep, "Evaluation", expected_close_date=date(2027, 3, 31), value=1000)
    quarters = forecast.forecast_by_quarter(forecast_scope(manager))
    assert [(r["fiscal_year"], r["quarter"], r["count"]) for r in quarters] == [
        (2027, 1, 4),
        (2027, 2, 1),
    ]
