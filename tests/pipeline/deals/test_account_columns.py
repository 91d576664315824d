"""The account list's deal columns (added by pipeline to prospects' list): last activity,
next follow-up, open pipeline and won value per currency, open deals; their sorts, the
CSV, who sees what, keyset pages and query counts."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.urls import reverse

from pipeline.deals import services as deal_services
from pipeline.followups.services import followup_create
from prospects.lists import ACCOUNTS
from salesflow.core.lists.selectors import list_page, list_state
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

URL = "/accounts/"
CSV = "/accounts/view.csv"
DEAL_COLUMNS = ["last_activity", "next_followup", "open_value", "won_value", "open_deals"]


def names(response) -> list[str]:
    return [row.name for row in response.context["table"].rows]


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def book(rep, open_deal, stages, reason):
    """Two accounts of the rep's: Alder with open deals in two currencies, a won one and a
    follow-up; Birch with nothing."""
    alder = AccountFactory(owner=rep, name="Alder Clinic")
    AccountFactory(owner=rep, name="Birch School")
    open_deal(rep, account=alder, value=Decimal(1000), currency="EUR")
    open_deal(rep, account=alder, value=Decimal(250), currency="EUR")
    open_deal(rep, account=alder, value=Decimal(400), currency="GBP")
    won = open_deal(rep, account=alder, value=Decimal(9000), currency="EUR")
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=won, to_stage=stages["Won"], reason=reason["won"]
    )
    followup_create(actor=rep, account=alder, purpose="Agree the pilot's wards", opportunity=won)
    return alder


def test_the_columns_are_pipeline_s_and_shown_by_default(client, rep, book):
    keys = [c.key for c in ACCOUNTS.all_columns()]
    assert keys[keys.index("readiness") + 1 :][:5] == DEAL_COLUMNS
    client.force_login(rep)
    response = client.get(URL)
    shown = [c.key for c in response.context["table"].state.columns]
    assert set(DEAL_COLUMNS) <= set(shown)
    html = response.content.decode()
    # Per currency, as the board's totals: nothing is converted.
    assert "1,250 EUR" in html
    assert "400 GBP" in html
    assert "9,000 EUR" in html
    for label in ("Last activity", "Next follow-up", "Open pipeline", "Won", "Open deals"):
        assert label in html
    # The dots have a legend.
    assert "Readiness dots" in html


def test_values_and_csv(client, rep, book):
    client.force_login(rep)
    rows = read_csv(client.get(CSV, {"cols": ",".join(["name", *DEAL_COLUMNS])}))
    header, alder, birch = rows
    assert header == [
        "Account",
        "Last activity",
        "Next follow-up",
        "Open pipeline",
        "Won",
        "Open deals",
    ]
    assert alder[0] == "Alder Clinic"
    assert alder[1]  # a time
    assert alder[2]  # the follow-up's surfacing time
    assert alder[3] == "1250.00 EUR; 400.00 GBP"
    assert alder[4] == "9000.00 EUR"
    assert alder[5] == "3"
    assert birch[0] == "Birch School"
    assert birch[2:] == ["", "", "", "0"]


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("-open_value", "Alder Clinic"),
        ("open_value", "Birch School"),
        ("-won_value", "Alder Clinic"),
        ("-open_deals", "Alder Clinic"),
        ("open_deals", "Birch School"),
        ("next_followup", "Alder Clinic"),  # no follow-up comes last either way
        ("-next_followup", "Alder Clinic"),
    ],
)
def test_each_deal_column_sorts_in_sql(client, rep, book, sort, first):
    client.force_login(rep)
    response = client.get(URL, {"sort": sort})
    assert response.status_code == 200
    assert names(response)[0] == first


def test_every_column_sorts_both_ways(client, rep, book):
    client.force_login(rep)
    for column in ACCOUNTS.all_columns():
        if column.sort is None:
            continue
        for sort in (column.key, f"-{column.key}"):
            response = client.get(URL, {"sort": sort})
            assert response.status_code == 200, sort
            assert sorted(names(response)) == ["Alder Clinic", "Birch School"], sort


@pytest.mark.parametrize(
    ("who", "sees"),
    [("rep", True), ("teammate", True), ("manager", True), ("outsider", False)],
)
def test_who_sees_the_accounts_and_their_figures(client, request, book, who, sees):
    client.force_login(request.getfixturevalue(who))
    response = client.get(URL)
    assert ("Alder Clinic" in names(response)) is sees
    assert ("9,000 EUR" in response.content.decode()) is sees
    rows = read_csv(client.get(CSV))
    assert any(row[0] == "Alder Clinic" for row in rows[1:]) is sees


@pytest.mark.parametrize("sort", ["name", "-open_value", "-last_activity"])
def test_keyset_pages_stay_put_when_accounts_are_added(rep, open_deal, sort):
    for n in range(7):
        account = AccountFactory(owner=rep, name=f"A{n:02}")
        open_deal(rep, account=account, value=Decimal(100 * n))
    ACCOUNTS.per_page = 3
    try:
        query = QueryDict(f"sort={sort}", mutable=True)
        page = list_page(list_state(ACCOUNTS, user=rep, query=query))
        seen = [a.pk for a in page.rows]
        added = AccountFactory(owner=rep, name="A00 new")
        open_deal(rep, account=added, value=Decimal(10_000))
        while page.has_more:
            query["after"] = page.next_token
            page = list_page(list_state(ACCOUNTS, user=rep, query=query))
            seen += [a.pk for a in page.rows]
        assert len(seen) == len(set(seen))
        assert len(seen) >= 7
    finally:
        ACCOUNTS.per_page = 50


@pytest.mark.parametrize("size", [1, 20])
def test_query_count_does_not_grow_with_accounts_and_deals(
    client, rep, open_deal, size, django_assert_num_queries
):
    for n in range(size):
        account = AccountFactory(owner=rep, name=f"Account {n}")
        open_deal(rep, account=account, value=Decimal(10 * n), currency="EUR" if n % 2 else "GBP")
    client.force_login(rep)
    client.get(URL)
    with django_assert_num_queries(11):
        response = client.get(URL, {"sort": "-open_value"})
    assert len(response.context["table"].rows) == size


def test_the_legacy_export_still_takes_the_list_s_filters(client, rep, book):
    client.force_login(rep)
    fragment = client.get(URL, {"status": "customer"}, HTTP_HX_REQUEST="true")
    assert f"{reverse('prospects:account_export')}?status=customer" in fragment.content.decode()
