"""The deals table: what it shows whom, its filters and sorts, its pages and its CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from pipeline.deals.table import DEALS
from salesflow.core.lists.selectors import list_page, list_state

pytestmark = pytest.mark.django_db

URL = "/deals/"


def names(response) -> list[str]:
    return [row.name for row in response.context["table"].rows]


def test_a_rep_opening_the_table_bare_sees_their_open_deals_soonest_close_first(
    client, rep, teammate, open_deal
):
    later = open_deal(rep, name="Later", expected_close_date="2030-05-01")
    sooner = open_deal(rep, name="Sooner", expected_close_date="2030-01-01")
    open_deal(rep, name="Undated")
    open_deal(teammate, name="Teammate's")
    client.force_login(rep)
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == [sooner.name, later.name, "Undated"]
    assert "My open deals" in response.content.decode()
    # Every row can be picked for a bulk action.
    assert f'name="ids" value="{sooner.pk}" form="bulk-form"' in response.content.decode()


def test_all_deals_in_reach_open_and_closed_sorted_by_value(
    client, rep, teammate, open_deal, outsider
):
    open_deal(rep, name="Small", value=10)
    open_deal(teammate, name="Big", value=900)
    open_deal(outsider, name="Not ours", value=5000)
    client.force_login(rep)
    response = client.get(URL, {"sort": "-value"})
    assert names(response) == ["Big", "Small"]


def test_keyset_pages_neither_repeat_nor_drop_a_row_when_a_deal_is_added_between_loads(
    rep, open_deal, settings
):
    from django.http import QueryDict

    for i in range(7):
        open_deal(rep, name=f"D{i}", value=100 * i)
    DEALS.per_page = 3
    try:
        query = QueryDict("sort=-value", mutable=True)
        first = list_page(list_state(DEALS, user=rep, query=query))
        assert [d.name for d in first.rows] == ["D6", "D5", "D4"]
        # Added meanwhile, above and below where the next page starts.
        open_deal(rep, name="New top", value=10_000)
        open_deal(rep, name="New middle", value=250)
        query["after"] = first.next_token
        second = list_page(list_state(DEALS, user=rep, query=query))
        assert [d.name for d in second.rows] == ["D3", "New middle", "D2"]
        assert (second.first, second.last) == (4, 6)
    finally:
        DEALS.per_page = 50


def test_csv_is_the_view_as_shown(client, rep, open_deal):
    open_deal(rep, name="=cmd()", value=10)
    open_deal(rep, name="Plain", value=20)
    client.force_login(rep)
    response = client.get(
        reverse("pipeline:deal_table_csv"), {"sort": "-value", "cols": "name,value"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [["Deal", "Value"], ["Plain", "20.00"], ["'=cmd()", "10.00"]]


def test_every_column_sorts_both_ways_in_sql(client, rep, open_deal):
    open_deal(rep, name="A")
    open_deal(rep, name="B")
    client.force_login(rep)
    every = ",".join(c.key for c in DEALS.all_columns())
    for column in DEALS.all_columns():
        for sort in (column.key, f"-{column.key}"):
            response = client.get(URL, {"sort": sort, "cols": every})
            assert response.status_code == 200, sort
            assert sorted(names(response)) == ["A", "B"]


def test_stage_says_stuck_or_marinating_and_the_stuck_filter_agrees(client, rep, open_deal):
    from pipeline.followups import services as followup_services
    from tests.pipeline.deals.test_stuck import idle

    held = open_deal(rep, "Evaluation", name="Held")
    quiet = open_deal(rep, "Evaluation", name="Quiet")
    open_deal(rep, "Evaluation", name="Busy")
    for deal in (held, quiet):
        idle(deal, 40)
    followup_services.followup_create(
        actor=rep, account=held.account, opportunity=held, purpose="Ask how the pilot went"
    )
    client.force_login(rep)
    page = client.get(URL, {"sort": "name", "status": "open"}).content.decode()
    assert "Marinating</span>" in page
    assert page.count(">Stuck</span>") == 1
    assert names(client.get(URL, {"sort": "name", "stuck": "yes"})) == ["Quiet"]
    assert names(client.get(URL, {"sort": "name", "stuck": "no"})) == ["Busy", "Held"]


def test_the_bare_tables_next_page_follows_the_default_view(client, rep, open_deal):
    DEALS.per_page = 2
    try:
        for day in (1, 2, 3):
            open_deal(rep, name=f"Closes {day}", expected_close_date=f"2030-01-0{day}")
        client.force_login(rep)
        first = client.get(URL).context["table"]
        second = client.get(URL, {"after": first.next_token}).context["table"]
        assert [d.name for d in second.rows] == ["Closes 3"]
        assert (second.first, second.last, second.has_more) == (3, 3, False)
    finally:
        DEALS.per_page = 50
