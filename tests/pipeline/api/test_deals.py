"""Deals through the API: the board's filters and access, opening and changing a deal with
the form's rules, moving and closing it through opportunity_move_stage (a refused move is a
409 with the service's reason), its stage history, the close reasons; keyset pages that hold
still while deals change, query counts that do not grow with the page, never a 500."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pipeline.deals import services as deal_services
from pipeline.deals.models import CloseReason, Opportunity, Pipeline, Stage, StageChange
from prospects.models import Account, LeadSource
from tests.factories import AccountFactory, SegmentFactory, TeamFactory, UserFactory
from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals/"


def send(client, method: str, path: str, body: object):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [item["id"] for item in response.json()["results"]]


# --- Reading --------------------------------------------------------------------------


def test_a_deal_reads_as_its_page_shows_it(client, rep, deal, stages):
    client.force_login(rep)
    body = client.get(f"{DEALS}{deal.pk}/").json()
    assert body["name"] == "Patient flow"
    assert body["account"] == {"id": deal.account_id, "name": deal.account.name}
    assert body["owner"]["id"] == rep.pk
    assert body["stage"] == {"id": stages["Qualified"].pk, "name": "Qualified", "outcome": "open"}
    assert body["status"] == "open"
    assert body["value"] == "48000.00"
    assert body["close_reason"] is None


def test_who_sees_a_deal(client, rep, teammate, manager, sales_ops, outsider, deal):
    for user in (rep, teammate, manager, sales_ops):
        client.force_login(user)
        assert client.get(f"{DEALS}{deal.pk}/").status_code == 200
        assert deal.pk in ids(client.get(DEALS))
        assert client.get(f"{DEALS}{deal.pk}/stage-history/").status_code == 200
    client.force_login(outsider)
    for suffix in ("", "stage-history/"):
        assert_problem(client.get(f"{DEALS}{deal.pk}/{suffix}"), 404)
    assert ids(client.get(DEALS)) == []
    client.logout()
    for path in (DEALS, f"{DEALS}{deal.pk}/", "/api/v1/close-reasons/"):
        assert_problem(client.get(path), 401)


def test_filters_match_the_boards(client, rep, teammate, sales_ops, open_deal, stages, reason):
    hospitals = SegmentFactory(name="Care homes")  # the factory's accounts are never these
    referral = LeadSource.objects.create(name="Referral")
    a = open_deal(rep, account=AccountFactory(owner=rep, segment=hospitals))
    b = open_deal(teammate, stage="Lead", lead_source=referral)
    other = UserFactory(role="rep", team=TeamFactory())
    c = open_deal(other, account=AccountFactory(owner=other, segment=hospitals))
    won = open_deal(rep)
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=won, to_stage=stages["Won"], reason=reason["won"]
    )
    lost = open_deal(rep)
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=lost, to_stage=stages["Lost"], reason=reason["lost"]
    )
    out = open_deal(rep)
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=out, to_stage=stages["Lost"], reason=reason["disqualified"]
    )
    client.force_login(sales_ops)

    def found(**params) -> set[int]:
        return set(ids(client.get(DEALS, params)))

    assert found() == {a.pk, b.pk, c.pk, won.pk, lost.pk, out.pk}
    assert found(owner=teammate.pk) == {b.pk}
    assert found(team=rep.team_id) == {a.pk, b.pk, won.pk, lost.pk, out.pk}
    assert found(segment=hospitals.pk) == {a.pk, c.pk}
    assert found(lead_source=referral.pk) == {b.pk}
    assert found(stage=stages["Lead"].pk) == {b.pk}
    assert found(pipeline=stages["Lead"].pipeline_id) == found()
    assert found(account=a.account_id) == {a.pk}
    assert found(status="open") == {a.pk, b.pk, c.pk}
    assert found(status="won") == {won.pk}
    assert found(status="lost") == {lost.pk}
    assert found(status="disqualified") == {out.pk}
    bodies = {item["id"]: item for item in client.get(DEALS).json()["results"]}
    assert bodies[out.pk]["status"] == "disqualified"
    assert bodies[out.pk]["close_reason"]["kind"] == "disqualified"
    assert bodies[won.pk]["status"] == "won"
    # A filter never widens what a user sees.
    client.force_login(rep)
    assert found(owner=other.pk) == set()
    assert found(team=other.team_id) == set()
    for bad in ({"status": "stuck"}, {"stage": "x"}, {"updated_since": "2026-12-01"}):
        assert_problem(client.get(DEALS, bad), 400)


def test_updated_since_reads_what_changed_including_moves(client, rep, open_deal, stages):
    old, moved = open_deal(rep), open_deal(rep)
    Opportunity.objects.update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    fresh = open_deal(rep)
    client.force_login(rep)
    assert ids(client.get(DEALS, {"updated_since": since})) == [fresh.pk]
    deal_services.opportunity_move_stage(actor=rep, opportunity=moved, to_stage=stages["Lead"])
    assert ids(client.get(DEALS, {"updated_since": since})) == [fresh.pk, moved.pk]
    assert old.pk in ids(client.get(DEALS))


def test_pages_walk_every_deal_once_while_deals_change(client, rep, open_deal, stages):
    existing = [open_deal(rep) for _ in range(9)]
    client.force_login(rep)
    seen: list[int] = []
    response = client.get(DEALS, {"page_size": 2})
    steps = iter(existing)
    while True:
        seen += ids(response)
        open_deal(rep)  # a deal opened between two pages…
        deal = next(steps, None)  # …and one read already changes (it moves to the end)
        if deal is not None and deal.pk in seen:
            deal_services.opportunity_update(actor=rep, opportunity=deal, next_step="Call")
        if not response.json()["next"] or len(seen) > 100:
            break
        response = client.get(response.json()["next"])
    # A deal changed after it was read comes again at the end (a sync wants the change);
    # none there from the start is skipped.
    assert {deal.pk for deal in existing} <= set(seen)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def test_the_list_query_count_is_pinned_and_flat(
    client, rep, teammate, open_deal, stages, reason, django_assert_max_num_queries
):
    referral = LeadSource.objects.create(name="Referral")
    client.force_login(rep)

    def grow(count: int) -> None:
        for n in range(count):
            deal = open_deal(rep if n % 2 else teammate, lead_source=referral)
            if n % 3 == 0:
                deal_services.opportunity_move_stage(
                    actor=deal.owner, opportunity=deal, to_stage=stages["Won"], reason=reason["won"]
                )

    grow(3)
    small = _queries(client, DEALS)
    grow(40)
    with django_assert_max_num_queries(small):
        large = _queries(client, DEALS + "?page_size=60")
    assert small == large
    # The session, the user, the page (account, owner, stage, lead source, reason joined in).
    assert small == 3


def test_the_stage_history_query_count_is_flat(
    client, rep, deal, stages, django_assert_max_num_queries
):
    client.force_login(rep)
    path = f"{DEALS}{deal.pk}/stage-history/"
    small = _queries(client, path)
    for name in ("Lead", "Evaluation", "Decision", "Qualified") * 5:
        deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages[name])
    with django_assert_max_num_queries(small):
        large = _queries(client, path + "?page_size=30")
    assert small == large
    assert small == 4  # session, user, the deal (access), the page


# --- Opening and changing -------------------------------------------------------------


def test_a_rep_opens_a_deal_as_the_form_does(client, rep, account, standard, stages):
    client.force_login(rep)
    response = send(client, "post", DEALS, {"account": account.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    deal = Opportunity.objects.get(pk=body["id"])
    # The form's defaults: the account's name, its owner, the pipeline's first open stage.
    assert (deal.name, deal.owner, deal.stage) == (account.name, rep, stages["Lead"])
    assert body["status"] == "open"
    assert StageChange.objects.filter(opportunity=deal, from_stage=None).count() == 1
    response = send(
        client,
        "post",
        DEALS,
        {
            "account": account.pk,
            "name": "Pilot",
            "value": "1200.50",
            "currency": "GBP",
            "expected_close_date": "2027-03-31",
            "next_step": "Ward visit",
            "pipeline": standard.pk,
            "stage": stages["Evaluation"].pk,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["stage"]["name"] == "Evaluation"
    assert response.json()["value"] == "1200.50"


def test_a_managers_new_deal_goes_to_the_accounts_owner(client, rep, manager, account, standard):
    client.force_login(manager)
    response = send(client, "post", DEALS, {"account": account.pk})
    assert response.status_code == 201, response.content
    assert response.json()["owner"]["id"] == rep.pk


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"stage": "Won"}, "stage"),  # a closed stage
        ({"value": "-1"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"value": "1e20"}, "value"),
        ({"currency": "XXX"}, "currency"),
        ({"expected_close_date": "2200-01-01"}, "expected_close_date"),
        ({"name": "x" * 201}, "name"),
        ({"owner": "teammate"}, "owner"),  # a rep gives deals to no one else
        ({"owner": 2**63}, "owner"),
        ({"account": 2**63}, "account"),
        ({"account": "other"}, "account"),  # not one the rep sees
        ({"pipeline": "other"}, "stage"),  # the stage is not of that pipeline
    ],
)
def test_refused_input_is_a_400_naming_the_field_and_opens_nothing(
    client, rep, teammate, outsider, account, standard, stages, changes, field
):
    elsewhere = Pipeline.objects.create(name="Schools")
    named = {
        "Won": stages["Won"].pk,
        "teammate": teammate.pk,
        "other": AccountFactory(owner=outsider).pk,
    }
    body = {"account": account.pk, "stage": stages["Qualified"].pk}
    for key, value in changes.items():
        body[key] = elsewhere.pk if key == "pipeline" else named.get(value, value)
    client.force_login(rep)
    problem = assert_problem(send(client, "post", DEALS, body), 400)
    assert list(problem["errors"]) == [field], problem
    assert not Opportunity.objects.exists()


def test_who_may_open_a_deal(client, rep, teammate, manager, sales_ops, account, standard):
    client.force_login(teammate)
    assert_problem(send(client, "post", DEALS, {"account": account.pk}), 403)
    assert not Opportunity.objects.exists()
    for user in (rep, manager, sales_ops):
        client.force_login(user)
        assert send(client, "post", DEALS, {"account": account.pk}).status_code == 201
    assert Opportunity.objects.count() == 3


def test_who_may_change_a_deal(client, rep, teammate, manager, sales_ops, outsider, deal):
    path = f"{DEALS}{deal.pk}/"
    client.force_login(teammate)
    assert_problem(send(client, "patch", path, {"next_step": "Teammate's"}), 403)
    client.force_login(outsider)
    assert_problem(send(client, "patch", path, {"next_step": "Outsider's"}), 404)
    for user, step in ((rep, "Owner's"), (manager, "Manager's"), (sales_ops, "Ops'")):
        client.force_login(user)
        response = send(client, "patch", path, {"next_step": step})
        assert response.status_code == 200, response.content
        assert response.json()["next_step"] == step
    deal.refresh_from_db()
    assert deal.next_step == "Ops'"


def test_a_change_keeps_the_pipeline_stage_and_account(client, rep, teammate, deal, stages):
    client.force_login(rep)
    path = f"{DEALS}{deal.pk}/"
    for field, value in (
        ("stage", stages["Won"].pk),
        ("pipeline", deal.pipeline_id),
        ("account", deal.account_id),
    ):
        problem = assert_problem(send(client, "patch", path, {field: value}), 400)
        assert list(problem["errors"]) == [field]
    problem = assert_problem(send(client, "patch", path, {"owner": teammate.pk}), 400)
    assert list(problem["errors"]) == ["owner"]
    response = send(client, "patch", path, {"value": "50000", "expected_close_date": None})
    assert response.status_code == 200, response.content
    deal.refresh_from_db()
    assert (deal.value, deal.stage, deal.owner) == (50000, stages["Qualified"], rep)


# --- Moving and closing ---------------------------------------------------------------


def move(client, deal, **body):
    return send(client, "post", f"{DEALS}{deal.pk}/move/", body)


def test_a_move_is_recorded_and_answered_with_the_deal(client, rep, deal, stages):
    client.force_login(rep)
    response = move(client, deal, stage=stages["Evaluation"].pk, note="Pilot agreed")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["move"]["from_stage"]["name"] == "Qualified"
    assert body["move"]["to_stage"]["name"] == "Evaluation"
    assert body["move"]["note"] == "Pilot agreed"
    assert body["move"]["by"]["id"] == rep.pk
    assert body["deal"]["stage"]["name"] == "Evaluation"
    deal.refresh_from_db()
    assert deal.stage == stages["Evaluation"]
    history = client.get(f"{DEALS}{deal.pk}/stage-history/").json()["results"]
    assert [row["to_stage"]["name"] for row in history] == ["Evaluation", "Qualified"]
    assert history[0] == body["move"]
    assert history[1]["left_at"] is not None  # the stay in Qualified ended


def test_closing_won_needs_a_won_reason_and_makes_a_customer(client, rep, deal, stages, reason):
    client.force_login(rep)
    problem = assert_problem(move(client, deal, stage=stages["Won"].pk), 409)
    assert problem["type"].endswith("/move-refused")
    assert "pick a reason" in problem["detail"]
    problem = assert_problem(
        move(client, deal, stage=stages["Won"].pk, reason=reason["lost"].pk), 409
    )
    assert reason["lost"].name in problem["detail"]
    deal.refresh_from_db()
    assert deal.stage == stages["Qualified"]  # nothing changed
    assert StageChange.objects.filter(opportunity=deal).count() == 1
    response = move(client, deal, stage=stages["Won"].pk, reason=reason["won"].pk)
    assert response.status_code == 201, response.content
    body = response.json()["deal"]
    assert body["status"] == "won"
    assert body["close_reason"]["id"] == reason["won"].pk
    assert body["closed_at"]
    assert Account.objects.get(pk=deal.account_id).status == Account.Status.CUSTOMER


def test_closing_disqualified(client, rep, deal, stages, reason):
    client.force_login(rep)
    response = move(client, deal, stage=stages["Lost"].pk, reason=reason["disqualified"].pk)
    assert response.status_code == 201, response.content
    assert response.json()["deal"]["status"] == "disqualified"
    # Reopened, the reason goes.
    response = move(client, deal, stage=stages["Qualified"].pk)
    assert response.json()["deal"]["status"] == "open"
    assert response.json()["deal"]["close_reason"] is None


def test_refused_moves_are_409_with_the_services_reason(client, rep, deal, stages, reason):
    elsewhere = Pipeline.objects.create(name="Schools")
    foreign = Stage.objects.create(pipeline=elsewhere, name="Lead", probability=10)
    retired = CloseReason.objects.create(kind="won", name="Retired", active=False)
    client.force_login(rep)
    cases = [
        ({"stage": stages["Qualified"].pk}, "already in Qualified"),
        ({"stage": foreign.pk}, "another pipeline"),
        ({"stage": stages["Lead"].pk, "reason": reason["lost"].pk}, "asked only when"),
        ({"stage": stages["Won"].pk, "reason": retired.pk}, "not a reason"),
    ]
    for body, words in cases:
        problem = assert_problem(move(client, deal, **body), 409)
        assert words in problem["detail"], problem
    # Someone moved it meanwhile: the stage the client saw is no longer the deal's.
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Lead"])
    problem = assert_problem(
        move(client, deal, stage=stages["Evaluation"].pk, from_stage=stages["Qualified"].pk), 409
    )
    assert "meanwhile" in problem["detail"]
    deal.refresh_from_db()
    assert deal.stage == stages["Lead"]
    assert StageChange.objects.filter(opportunity=deal).count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": ""}, "stage"),
        ({"stage": 2**63}, "stage"),
        ({"stage": "Won"}, "stage"),
        ({"stage": 999_999}, "stage"),
        ({"stage": None}, "stage"),
        ({"reason": 999_999}, "reason"),
        ({"from_stage": 999_999}, "from_stage"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_a_move_with_bad_input_is_a_400(client, rep, deal, stages, body, field):
    client.force_login(rep)
    problem = assert_problem(move(client, deal, **{"stage": stages["Lead"].pk, **body}), 400)
    assert list(problem["errors"]) == [field]
    deal.refresh_from_db()
    assert deal.stage == stages["Qualified"]


def test_who_may_move_a_deal(client, rep, teammate, manager, sales_ops, outsider, deal, stages):
    client.force_login(teammate)
    assert_problem(move(client, deal, stage=stages["Lead"].pk), 403)
    client.force_login(outsider)
    assert_problem(move(client, deal, stage=stages["Lead"].pk), 404)
    deal.refresh_from_db()
    assert deal.stage == stages["Qualified"]
    for user, name in ((rep, "Lead"), (manager, "Evaluation"), (sales_ops, "Decision")):
        client.force_login(user)
        assert move(client, deal, stage=stages[name].pk).status_code == 201
    deal.refresh_from_db()
    assert deal.stage == stages["Decision"]


# --- Close reasons --------------------------------------------------------------------


def test_close_reasons_lists_the_active_ones(client, rep, reason):
    retired = CloseReason.objects.create(kind="lost", name="Old reason", active=False)
    client.force_login(rep)
    listed = ids(client.get("/api/v1/close-reasons/", {"page_size": 200}))
    assert reason["won"].pk in listed
    assert retired.pk not in listed
    won = client.get("/api/v1/close-reasons/", {"kind": "won"}).json()["results"]
    assert won
    assert {item["kind"] for item in won} == {"won"}
    assert_problem(client.get("/api/v1/close-reasons/", {"kind": "maybe"}), 400)


# --- Hostile input --------------------------------------------------------------------


def check(response) -> None:
    assert response.status_code in {200, 201, 400, 403, 404, 409}, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM
        body = response.json()
        assert body["status"] == response.status_code
        if response.status_code == 400:
            assert body["errors"], body


PARAMS = [
    "pipeline",
    "stage",
    "owner",
    "team",
    "segment",
    "lead_source",
    "account",
    "status",
    "updated_since",
    "cursor",
    "page_size",
]


@fuzz
@given(params=st.dictionaries(st.sampled_from(PARAMS), hostile, max_size=4))
def test_hostile_query_strings_never_500(client, rep, deal, params):
    client.force_login(rep)
    check(client.get(DEALS, params))
    check(client.get(f"{DEALS}{deal.pk}/stage-history/", params))
    check(client.get("/api/v1/close-reasons/", {"kind": params.get("status", ""), **params}))


@fuzz
@given(pk=hostile_ids)
@pytest.mark.parametrize("suffix", ["", "stage-history/", "move/"])
def test_hostile_ids_never_500(client, rep, deal, suffix, pk):
    client.force_login(rep)
    path = f"{DEALS}{quote(pk, safe='')}/{suffix}"
    if suffix == "move/":
        check(client.post(path, "{}", content_type="application/json"))
    else:
        check(client.get(path))


values = st.one_of(
    hostile,
    st.integers(min_value=-(2**65), max_value=2**65),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.floats(allow_nan=False, allow_infinity=False),
)
DEAL_FIELDS = [
    "account",
    "name",
    "owner",
    "value",
    "currency",
    "expected_close_date",
    "lead_source",
    "next_step",
    "pipeline",
    "stage",
    "from_stage",
    "reason",
    "note",
]


@fuzz
@given(body=st.dictionaries(st.sampled_from(DEAL_FIELDS), values, max_size=6))
def test_hostile_bodies_never_500_and_save_nothing_half(client, rep, deal, body):
    client.force_login(rep)
    before = (Opportunity.objects.count(), StageChange.objects.count())
    deal.refresh_from_db()
    was = (deal.name, deal.value, deal.stage_id, deal.updated_at)
    created = send(client, "post", DEALS, {"account": deal.account_id, **body})
    check(created)
    changed = send(client, "patch", f"{DEALS}{deal.pk}/", body)
    check(changed)
    moved = send(client, "post", f"{DEALS}{deal.pk}/move/", body)
    check(moved)
    if created.status_code != 201:
        assert Opportunity.objects.count() == before[0]
    if changed.status_code != 200 and moved.status_code != 201:
        deal.refresh_from_db()
        assert (deal.name, deal.value, deal.stage_id, deal.updated_at) == was


def test_stage_history_pages_hold_still_while_the_deal_moves(client, rep, deal, stages):
    for name in ("Lead", "Evaluation", "Decision", "Qualified") * 2:
        deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages[name])
    existing = set(StageChange.objects.filter(opportunity=deal).values_list("pk", flat=True))
    client.force_login(rep)
    path = f"{DEALS}{deal.pk}/stage-history/"
    seen: list[int] = []
    response = client.get(path, {"page_size": 3})
    at = {"stage": stages["Qualified"]}
    while True:
        seen += ids(response)
        # The deal moves again between two pages: newest first, the new move is before
        # the page already read, and pushes nothing out of the pages still to come.
        to = stages["Lead"] if at["stage"] == stages["Qualified"] else stages["Qualified"]
        deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=to)
        at["stage"] = to
        if not response.json()["next"] or len(seen) > 100:
            break
        response = client.get(response.json()["next"])
    assert seen == sorted(existing, reverse=True)
