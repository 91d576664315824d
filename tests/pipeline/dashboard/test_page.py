"""The dashboard page: every section, its tables and their CSVs, a filter change redrawing
the figures only, hostile filters, and the queries it takes."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from pipeline.deals import services as deal_services
from tests.pipeline.dashboard.conftest import PERIOD

pytestmark = pytest.mark.django_db


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


def test_the_page_shows_every_section_and_its_csv(client, manager, soe, follow_ups):
    client.force_login(manager)
    page = client.get(reverse("pipeline:dashboard"), {"start": "2026-01-01", "end": "2026-06-30"})
    html = page.content.decode()
    for heading in (
        "Conversion between stages",
        "Time in stage",
        "Velocity by month",
        "Segments side by side",
        "SOE health",
        "Win rate by readiness when qualified",
        "five cents in, ten cents out",
        "Coaching",
    ):
        assert heading in html
    assert 'data-chart="funnel"' in html
    assert 'id="dashboard-charts"' in html
    for table in dashboard_tables():
        response = client.get(reverse("pipeline:dashboard_csv", args=[table]), PERIOD)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
    funnel = client.get(reverse("pipeline:dashboard_csv", args=["funnel"]), PERIOD).content.decode()
    assert funnel.splitlines()[1] == "Standard,Lead,6,Qualified,4,66.7"


def dashboard_tables():
    from pipeline.dashboard.columns import CSV_COLUMNS

    return list(CSV_COLUMNS)


def test_a_filter_change_answers_with_the_figures_only(client, manager, rep, history):
    client.force_login(manager)
    response = client.get(
        reverse("pipeline:dashboard"), {**PERIOD, "owner": rep.pk}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="figures"')
    assert "<html" not in html


def test_going_back_to_a_page_htmx_did_not_keep_gets_the_whole_page(client, manager, history):
    client.force_login(manager)
    response = client.get(
        reverse("pipeline:dashboard"),
        PERIOD,
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_a_future_start_without_an_end_is_refused_with_a_message(client, manager, history):
    client.force_login(manager)
    page = client.get(reverse("pipeline:dashboard"), {"start": "2099-01-01"}).content.decode()
    assert "Pick a day up to today, or an Until date as well." in page
