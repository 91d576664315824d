"""The dashboard's "pipeline now" figures, on a small history built by hand."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from pipeline.dashboard import forecast
from pipeline.dashboard.scope import DashboardFilters, Scope
from pipeline.deals import services as deal_services
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(rep, teammate, outsider, standard, stages, reason):
    """Four open deals of the team, one won, and one of another team."""

    def deal(owner, stage, value, closes, currency="EUR"):
        opportunity = deal_services.opportunity_create(
            actor=owner,
            account=AccountFactory(owner=owner),
            name=f"{stage} {value}",
            owner=owner,
            value=Decimal(value),
            currency=currency,
            expected_close_date=closes,
            pipeline=standard,
            stage=stages["Lead"],
        )
        if stage != "Lead":
            deal_services.opportunity_move_stage(
                actor=owner,
                opportunity=opportunity,
                to_stage=stages[stage],
                reason=reason["won"] if stage == "Won" else None,
            )
        return opportunity

    return [
        deal(rep, "Lead", 1000, date(2027, 1, 15)),  # 10% → 100
        deal(rep, "Evaluation", 2000, date(2027, 1, 20)),  # 70% → 1400
        deal(teammate, "Decision", 4000, date(2027, 4, 2)),  # 85% → 3400
        deal(teammate, "Qualified", 500, None, currency="GBP"),  # 25% → 125
        deal(rep, "Won", 9000, date(2026, 12, 1)),  # closed: not in "pipeline now"
        deal(outsider, "Decision", 7777, date(2027, 1, 1)),  # another team
    ]


def figures(user, **filters):
    return Scope(user=user, filters=DashboardFilters(**filters))


def test_pipeline_by_stage_counts_values_and_weights_open_deals(manager, book):
    rows = forecast.pipeline_by_stage(figures(manager))
    got = [(r["stage__name"], r["currency"], r["count"], r["amount"], r["weighted"]) for r in rows]
    assert got == [
        ("Lead", "EUR", 1, Decimal("1000.00"), Decimal("100.00")),
        ("Qualified", "GBP", 1, Decimal("500.00"), Decimal("125.00")),
        ("Evaluation", "EUR", 1, Decimal("2000.00"), Decimal("1400.00")),
        ("Decision", "EUR", 1, Decimal("4000.00"), Decimal("3400.00")),
    ]


def test_forecast_by_month_and_fiscal_quarter(manager, book, settings):
    months = forecast.forecast_by_month(figures(manager))
    assert [(r["month"], r["currency"], r["weighted"]) for r in months] == [
        (date(2027, 1, 1), "EUR", Decimal("1500.00")),
        (date(2027, 4, 1), "EUR", Decimal("3400.00")),
        (None, "GBP", Decimal("125.00")),
    ]
    quarters = forecast.forecast_by_quarter(figures(manager))
    assert [(r["fiscal_year"], r["quarter"], r["weighted"]) for r in quarters] == [
        (2027, 1, Decimal("1500.00")),
        (2027, 2, Decimal("3400.00")),
    ]
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 4  # FY2026 runs from April 2026 to March 2027
    quarters = forecast.forecast_by_quarter(figures(manager))
    assert [(r["fiscal_year"], r["quarter"], r["weighted"]) for r in quarters] == [
        (2026, 4, Decimal("1500.00")),
        (2027, 1, Decimal("3400.00")),
    ]


def test_commit_and_best_case(manager, book):
    totals = {r["currency"]: r for r in forecast.commit_and_best_case(figures(manager))}
    assert totals["EUR"]["best_case"] == Decimal("7000.00")
    assert totals["EUR"]["commit"] == Decimal("6000.00")  # Evaluation 70% and Decision 85%
    assert totals["GBP"]["commit"] == Decimal("0")


def test_who_sees_which_figures(rep, manager, outsider, book, sales_ops):
    def best_case(user):
        rows = forecast.commit_and_best_case(figures(user))
        return {r["currency"]: r["best_case"] for r in rows}

    assert best_case(rep) == {"EUR": Decimal("3000.00")}  # a rep: their own
    assert best_case(manager) == {"EUR": Decimal("7000.00"), "GBP": Decimal("500.00")}
    assert best_case(outsider) == {"EUR": Decimal("7777.00")}
    assert best_case(sales_ops)["EUR"] == Decimal("14777.00")


def test_filters_narrow_the_figures(manager, teammate, book):
    rows = forecast.commit_and_best_case(figures(manager, owner=teammate.pk))
    assert {r["currency"]: r["best_case"] for r in rows} == {
        "EUR": Decimal("4000.00"),
        "GBP": Decimal("500.00"),
    }
    rows = forecast.commit_and_best_case(
        figures(manager, start=date(2027, 1, 1), end=date(2027, 1, 31))
    )
    assert {r["currency"]: r["best_case"] for r in rows} == {"EUR": Decimal("3000.00")}


def test_the_page_tables_and_csv(client, manager, teammate, book):
    client.force_login(manager)
    page = client.get(reverse("pipeline:dashboard"), {"owner": teammate.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "FY2027 Q2" in html
    assert "4,000 EUR" in html
    assert "1,000 EUR" not in html  # the rep's Lead deal is filtered out
    response = client.get(
        reverse("pipeline:dashboard_csv", args=["stages"]), {"owner": teammate.pk}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["pipeline__name", "stage__name", "stage__probability"]
    assert [row[1] for row in rows[1:]] == ["Qualified", "Decision"]
    assert client.get(reverse("pipeline:dashboard_csv", args=["nope"])).status_code == 404


@pytest.mark.parametrize("size", [1, 40])
def test_dashboard_query_count_is_constant(
    client, manager, rep, open_deal, reason, stages, size, django_assert_num_queries
):
    for number in range(size):
        deal = open_deal(rep, "Evaluation")
        if number % 2:
            deal_services.opportunity_move_stage(
                actor=rep, opportunity=deal, to_stage=stages["Won"], reason=reason["won"]
            )
    client.force_login(manager)
    # Session and user; 23 figure queries (pipeline now 4, coaching 4, lead sources 3, funnel,
    # time in stage and velocity 2 each, the other six 1 each); the unread count; five filter
    # choices.
    with django_assert_num_queries(31):
        assert client.get(reverse("pipeline:dashboard")).status_code == 200
    # The rep page: session, user, the rep, three lists, their figures (4), the unread count.
    with django_assert_num_queries(11):
        assert client.get(reverse("pipeline:dashboard_rep", args=[rep.pk])).status_code == 200


def test_hostile_filters_never_fail(client, manager, book):
    client.force_login(manager)
    for params in (
        {"owner": "x"},
        {"team": "99999999999999999999"},
        {"start": "0001-01-01", "end": "9999-12-31"},
        {"segment": "²", "pipeline": "-1", "lead_source": "<script>"},
    ):
        response = client.get(reverse("pipeline:dashboard"), params)
        assert response.status_code == 200
        assert "<script>" not in response.content.decode()


def test_a_fiscal_quarter_is_one_row_whatever_its_months(manager, rep, open_deal, book):
    """PostgreSQL's EXTRACT gives numeric: without whole numbers, January, February and
    March were three quarters 1, 1.33 and 1.67."""
    open_deal(rep, "Evaluation", expected_close_date=date(2027, 2, 10), value=1000)
    open_deal(rep, "Evaluation", expected_close_date=date(2027, 3, 31), value=1000)
    quarters = forecast.forecast_by_quarter(figures(manager))
    assert [(r["fiscal_year"], r["quarter"], r["count"]) for r in quarters] == [
        (2027, 1, 4),
        (2027, 2, 1),
    ]
