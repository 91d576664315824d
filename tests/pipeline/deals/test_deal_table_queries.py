"""The deals table's query counts, pinned at two sizes: a page, "load more" and the CSV cost
the same number of queries for 3 deals as for 60, with every column shown."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from pipeline.deals.table import DEALS
from pipeline.followups import services as followup_services
from pipeline.soe import services as soe_services
from salesflow.core.lists import services as list_services

pytestmark = pytest.mark.django_db

# Sessions, the user, two-factor, the navigation's own; then the filter form's choices
# (owner, team, pipeline, stage, segment, lead source), the default view and saved views,
# the column choice, the stages that can be stuck, the page's ids and its rows; and the
# bulk bar's three choices (new owner, open stages, reasons lost).
PAGE_QUERIES = 18
MORE_QUERIES = 7
CSV_QUERIES = 5


@pytest.fixture
def many(rep, teammate, open_deal):
    def make(count: int) -> None:
        for i in range(count):
            deal = open_deal(
                rep if i % 2 else teammate,
                name=f"Deal {i:03}",
                value=100 + i,
                expected_close_date=date(2030, 1, 1 + i % 28),
            )
            sequence = soe_services.soe_start(actor=deal.owner, opportunity=deal)
            soe_services.soe_step_add(actor=deal.owner, sequence=sequence, text="Demo")
            followup_services.followup_create(
                actor=deal.owner, account=deal.account, opportunity=deal, purpose="Check in"
            )

    return make


@pytest.mark.parametrize("count", [3, 60])
def test_a_page_load_more_and_the_csv_cost_the_same_at_any_size(
    client, rep, many, count, django_assert_num_queries
):
    many(count)
    every = [c.key for c in DEALS.all_columns()]
    list_services.list_columns_choose(actor=rep, list_key="deals", columns=every)
    client.force_login(rep)
    query = {"sort": "-value", "status": "open", "readiness": "0"}
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get("/deals/", query)
    table = response.context["table"]
    assert len(table.rows) == min(count, 50)
    assert table.has_more == (count > 50)
    if table.has_more:
        with django_assert_num_queries(MORE_QUERIES):
            more = client.get(
                "/deals/", {**query, "after": table.next_token}, HTTP_HX_REQUEST="true"
            )
        assert len(more.context["table"].rows) == count - 50
    with django_assert_num_queries(CSV_QUERIES):
        export = client.get(reverse("pipeline:deal_table_csv"), query)
        lines = b"".join(export.streaming_content).decode().splitlines()
    assert len(lines) == count + 1
