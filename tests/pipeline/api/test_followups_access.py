"""Who reaches a follow-up through the API: as on its page, whoever sees its account reads
it; the account's owner, their manager and sales ops move it on; a teammate gets 403 on
every move; an outsider finds nothing (404); only the owner's manager approves."""

from __future__ import annotations

import json

import pytest

from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp
from tests.factories import UserFactory
from tests.pipeline.api.soe_support import assert_problem, results, send
from tests.pipeline.hostile import followup_state

pytestmark = pytest.mark.django_db

READERS = ["rep", "teammate", "manager", "sales_ops"]
EDITORS = ["rep", "manager", "sales_ops"]


@pytest.fixture
def follow_up(rep, account):
    return followup_services.followup_create(actor=rep, account=account, purpose="Ask")


def moves(pk: int) -> list[tuple[str, dict]]:
    base = f"/api/v1/follow-ups/{pk}/"
    return [
        (base + "revise/", {"purpose": "Ask again", "draft": "Hi"}),
        (base + "surface-now/", {"reason": "Now"}),
        (base + "done/", {}),
    ]


@pytest.mark.parametrize("who", READERS)
def test_whoever_sees_the_account_reads_it(client, request, follow_up, who):
    client.force_login(request.getfixturevalue(who))
    assert follow_up.pk in results(client.get("/api/v1/follow-ups/"))
    body = client.get(f"/api/v1/follow-ups/{follow_up.pk}/").json()
    assert body["purpose"] == "Ask"
    assert body["can_edit"] is (who != "teammate")


def test_an_outsider_finds_nothing(client, outsider, follow_up, account):
    client.force_login(outsider)
    before = followup_state()
    assert results(client.get("/api/v1/follow-ups/")) == []
    assert results(client.get("/api/v1/follow-ups/", {"account": account.pk})) == []
    assert_problem(client.get(f"/api/v1/follow-ups/{follow_up.pk}/"), 404)
    for path, body in moves(follow_up.pk):
        assert_problem(send(client, "post", path, body), 404)
    dismiss = f"/api/v1/follow-ups/{follow_up.pk}/dismiss/"
    assert_problem(send(client, "post", dismiss, {"reason": "No"}), 404)
    for decision in ("approve", "send-back"):
        path = f"/api/v1/follow-ups/{follow_up.pk}/{decision}/"
        assert_problem(send(client, "post", path, {"comment": "x"}), 404)
    # Creating on an account they cannot see reads as no such account.
    body = assert_problem(
        send(client, "post", "/api/v1/follow-ups/", {"account": account.pk, "purpose": "Ask"}),
        400,
    )
    assert body["errors"] == {"account": ["No such account."]}
    assert followup_state() == before


def test_a_teammate_reads_but_every_change_is_403(client, teammate, follow_up, account):
    client.force_login(teammate)
    before = followup_state()
    for path, body in [
        *moves(follow_up.pk),
        (f"/api/v1/follow-ups/{follow_up.pk}/dismiss/", {"reason": "No"}),
        (f"/api/v1/follow-ups/{follow_up.pk}/approve/", {}),
        ("/api/v1/follow-ups/", {"account": account.pk, "purpose": "Ask"}),
    ]:
        assert_problem(send(client, "post", path, body), 403)
    assert followup_state() == before


@pytest.mark.parametrize("who", EDITORS)
def test_the_owner_their_manager_and_sales_ops_move_it_on(client, request, account, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    created = send(client, "post", "/api/v1/follow-ups/", {"account": account.pk, "purpose": "A"})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    for path, body in moves(pk):
        response = send(client, "post", path, body)
        assert response.status_code == 200, (path, response.content)
    assert FollowUp.objects.get(pk=pk).status == "done"
    assert FollowUp.objects.get(pk=pk).events.filter(by=user).count() == 4


@pytest.mark.parametrize("who", ["rep", "teammate", "sales_ops", "other_manager", "manager"])
def test_only_the_owners_manager_approves(client, request, rep, follow_up, who):
    rep.team.review_followups = True
    rep.team.save()
    waiting = followup_services.followup_create(actor=rep, account=follow_up.account, purpose="Ask")
    request.getfixturevalue("manager")
    user = (
        UserFactory(role="manager", team=UserFactory().team)
        if who == "other_manager"
        else request.getfixturevalue(who)
    )
    client.force_login(user)
    response = send(client, "post", f"/api/v1/follow-ups/{waiting.pk}/approve/", {})
    if who == "manager":
        assert response.status_code == 200, response.content
        assert response.json()["approval"]["state"] == "approved"
    elif who == "other_manager":
        assert_problem(response, 404)  # another team's follow-up is not theirs to see
    else:
        assert_problem(response, 403)
        assert FollowUp.objects.get(pk=waiting.pk).review == "pending"


@pytest.mark.parametrize("path", ["/api/v1/follow-ups/", "/api/v1/follow-ups/1/"])
def test_signed_out_gets_401_problem(client, path):
    assert_problem(client.get(path), 401)


def test_a_token_moves_it_on_without_csrf_a_bare_session_may_not(rep, follow_up):
    from django.test import Client

    from salesflow.core.apitokens.services import apitoken_create

    _, secret = apitoken_create(actor=rep, name="Outreach script")
    browserless = Client(enforce_csrf_checks=True)
    path = f"/api/v1/follow-ups/{follow_up.pk}/dismiss/"
    body = json.dumps({"reason": "Handled by phone"})
    response = browserless.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dismissed"
    # A signed-in browser's session without its CSRF token is refused, and nothing moves.
    other = followup_services.followup_create(actor=rep, account=follow_up.account, purpose="B")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)
    refused = browser.post(
        f"/api/v1/follow-ups/{other.pk}/dismiss/", body, content_type="application/json"
    )
    assert_problem(refused, 403)
    assert FollowUp.objects.get(pk=other.pk).status == "held"
