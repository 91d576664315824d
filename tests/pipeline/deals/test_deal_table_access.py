"""Who sees which deals in the table and its CSV: the owner, a teammate, the manager, sales
ops, and an outsider (whose deals, and whose people, never show)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL = {"sort": "name", "status": ""}


def table_names(client, **query) -> list[str]:
    response = client.get("/deals/", {**ALL, **query})
    assert response.status_code == 200
    return [row.name for row in response.context["table"].rows]


def csv_names(client, **query) -> list[str]:
    response = client.get(reverse("pipeline:deal_table_csv"), {**ALL, **query})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return [row[0] for row in rows[1:]]


@pytest.fixture
def deals(rep, teammate, outsider, open_deal):
    open_deal(rep, name="Rep's")
    open_deal(teammate, name="Teammate's")
    open_deal(outsider, name="Outsider's")


@pytest.mark.parametrize("who", ["rep", "teammate", "manager"])
def test_the_team_sees_the_teams_deals_in_the_table_and_the_csv(client, deals, who, request):
    client.force_login(request.getfixturevalue(who))
    assert table_names(client) == ["Rep's", "Teammate's"]
    assert csv_names(client) == ["Rep's", "Teammate's"]


def test_the_outsider_sees_only_their_teams(client, deals, outsider):
    client.force_login(outsider)
    assert table_names(client) == ["Outsider's"]
    assert csv_names(client) == ["Outsider's"]


def test_sales_ops_sees_every_deal(client, deals):
    client.force_login(UserFactory(role="sales_ops"))
    assert table_names(client) == ["Outsider's", "Rep's", "Teammate's"]


def test_naming_someone_outside_reach_in_a_filter_shows_nothing_of_theirs(
    client, deals, rep, outsider
):
    client.force_login(rep)
    response = client.get("/deals/", {**ALL, "owner": outsider.pk, "team": outsider.team_id})
    names = [row.name for row in response.context["table"].rows]
    assert "Outsider's" not in names
    assert response.context["form"].errors.keys() == {"owner", "team"}
    assert csv_names(client, owner=outsider.pk) == ["Rep's", "Teammate's"]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/deals/", reverse("pipeline:deal_table_csv")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
