"""/api/v1/dashboard/: the dashboard page's figures for the same viewer and the same filters
(a rep their own, a manager the team's, sales ops everyone's), a bad filter refused as a 400
naming it, the kept figures reused, a pinned query count, and never a 500."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pipeline.api.dashboard import FIGURES
from pipeline.deals import services as deal_services
from tests.hostile import fuzz, hostile
from tests.pipeline.dashboard import conftest as dashboard
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db

# The dashboard tests' histories, with the figures those tests assert.
book = dashboard.book
soe = dashboard.soe
follow_ups = dashboard.follow_ups

PATH = "/api/v1/dashboard/"


def figures(client, user, **params) -> dict:
    client.force_login(user)
    response = client.get(PATH, params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def best_case(body: dict) -> dict[str, Decimal]:
    return {row["currency"]: Decimal(row["best_case"]) for row in body["totals"]}


def test_signed_out_gets_401_problem(client):
    assert_problem(client.get(PATH), 401)


def test_each_viewer_gets_the_figures_their_page_shows(
    client, rep, teammate, manager, sales_ops, outsider, book
):
    assert best_case(figures(client, rep)) == {"EUR": Decimal("3000.00")}  # their own
    assert best_case(figures(client, teammate)) == {"EUR": Decimal("4000.00"), "GBP": 500}
    assert best_case(figures(client, manager)) == {"EUR": Decimal("7000.00"), "GBP": 500}
    assert best_case(figures(client, outsider)) == {"EUR": Decimal("7777.00")}
    assert best_case(figures(client, sales_ops))["EUR"] == Decimal("14777.00")
    body = figures(client, rep)
    assert body["own_only"] is True
    assert [row["rep_id"] for row in body["coaching"]] == [rep.pk]
    assert figures(client, manager)["own_only"] is False


def test_the_filters_are_the_pages(client, manager, rep, teammate, book):
    body = figures(client, manager, owner=teammate.pk)
    assert best_case(body) == {"EUR": Decimal("4000.00"), "GBP": Decimal("500.00")}
    assert body["filters"]["owner"] == teammate.pk
    assert [(row["stage"], row["count"]) for row in body["stages"]] == [
        ("Qualified", 1),
        ("Decision", 1),
    ]
    body = figures(client, manager, start="2027-01-01", end="2027-01-31")
    assert best_case(body) == {"EUR": Decimal("3000.00")}
    assert body["period"] == {"start": "2027-01-01", "end": "2027-01-31"}
    assert figures(client, manager, team=manager.team_id)["filters"]["team"] == manager.team_id


def test_every_figure_is_the_pages_own(client, manager, soe, follow_ups):
    """The page's tables and the API's figures are the same rows (the API names a stage row's
    columns plainly)."""
    client.force_login(manager)
    params = {"start": "2026-01-01", "end": "2026-06-30"}
    page = client.get(reverse("pipeline:dashboard"), params).context
    body = figures(client, manager, **params)
    assert set(body) >= set(FIGURES)
    for name in ("funnel", "readiness", "soe_receptions", "coaching", "time_in_stage"):
        assert body[name] == page[name], name
    assert body["soe"] == page["soe"]
    assert body["taken_at"]  # the page's kept figures: worked out once for both
    assert len(body["coaching"]) == len(page["coaching"]) > 0
    for ours, theirs in zip(body["lead_sources"], page["lead_sources"], strict=True):
        assert ours["source"] == theirs["source"]
        assert ours["leads"] == theirs["leads"]
        assert (ours["cost"] is None) == (theirs["cost"] is None)
        assert ours["return"] == (None if theirs["return"] is None else str(theirs["return"]))
    for ours, theirs in zip(body["stages"], page["stages"], strict=True):
        assert (ours["pipeline"], ours["stage"]) == (
            theirs["pipeline__name"],
            theirs["stage__name"],
        )
        assert Decimal(ours["weighted"]) == theirs["weighted"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"owner": "x"}, "owner"),
        ({"team": "99999999999999999999"}, "team"),
        ({"pipeline": "-1"}, "pipeline"),
        ({"segment": "999999"}, "segment"),
        ({"lead_source": "<script>"}, "lead_source"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "0001-01-01", "end": "9999-12-31"}, "start"),
        ({"start": "2026-06-01", "end": "2026-01-01"}, "end"),
        ({"start": "2999-01-01"}, "start"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, manager, params, named):
    client.force_login(manager)
    body = assert_problem(client.get(PATH, params), 400)
    assert named in body["errors"], body


def test_a_filter_outside_the_viewers_reach_is_refused(client, manager, outsider, rep):
    client.force_login(manager)
    assert "owner" in assert_problem(client.get(PATH, {"owner": outsider.pk}), 400)["errors"]
    assert "team" in assert_problem(client.get(PATH, {"team": outsider.team_id}), 400)["errors"]
    # A rep's dashboard is their own: no team or rep to pick, not even themselves.
    client.force_login(rep)
    for name, value in (("team", rep.team_id), ("owner", rep.pk)):
        body = assert_problem(client.get(PATH, {name: value}), 400)
        assert list(body["errors"]) == [name]


def test_the_kept_figures_are_reused(client, manager, book):
    first = figures(client, manager)
    deal_services.opportunity_create(
        actor=manager,
        account=book[0].account,
        name="Late addition",
        owner=manager,
        value=Decimal(100_000),
        pipeline=book[0].pipeline,
        stage=book[0].pipeline.stages.get(name="Lead"),
    )
    again = figures(client, manager)
    assert again["taken_at"] == first["taken_at"]
    assert again["totals"] == first["totals"]  # as the page would show them, kept


def _queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PATH, params or {}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("size", [1, 40])
def test_query_count_is_pinned_and_flat(
    client, manager, rep, open_deal, reason, stages, size, django_assert_num_queries
):
    for number in range(size):
        deal = open_deal(rep, "Evaluation")
        if number % 2:
            deal_services.opportunity_move_stage(
                actor=rep, opportunity=deal, to_stage=stages["Won"], reason=reason["won"]
            )
    client.force_login(manager)
    # Session and user; the 23 figure queries the page makes (see the page's test).
    with django_assert_num_queries(25):
        assert client.get(PATH).status_code == 200
    # Kept for a few minutes, as the page's: session and user only.
    with django_assert_num_queries(2):
        assert client.get(PATH).status_code == 200


def test_a_filter_costs_its_lookup_only(client, manager, teammate, open_deal):
    open_deal(teammate)
    client.force_login(manager)
    # The owner's row is looked up to check it is one the manager may pick.
    assert _queries(client, {"owner": teammate.pk}) == 26


PARAMS = ["team", "owner", "pipeline", "segment", "lead_source", "start", "end"]


@fuzz
@given(params=st.dictionaries(st.sampled_from(PARAMS), hostile, max_size=4))
@pytest.mark.parametrize("viewer", ["rep", "manager"])
def test_hostile_query_strings_never_500(client, request, viewer, params):
    client.force_login(request.getfixturevalue(viewer))
    response = client.get(PATH, params)
    assert response.status_code in {200, 400}, response.content[:300]
    if response.status_code == 400:
        assert response["Content-Type"] == PROBLEM
        assert set(response.json()["errors"]) <= set(PARAMS)


def test_the_dashboard_is_read_only(client, manager):
    client.force_login(manager)
    assert_problem(client.post(PATH, {}, content_type="application/json"), 405)
