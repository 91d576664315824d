"""Who reaches a deal's SOE through the API: as on the SOE page, the deal's owner, their
manager and sales ops read and change it; a teammate reads it (403 on every change); an
outsider finds nothing (404), whatever the endpoint."""

from __future__ import annotations

import pytest

from tests.pipeline.api.soe_support import assert_problem, send
from tests.pipeline.hostile import soe_state

pytestmark = pytest.mark.django_db

READERS = ["rep", "teammate", "manager", "sales_ops"]
EDITORS = ["rep", "manager", "sales_ops"]


def reads(soe) -> list[str]:
    deal, step = soe.opportunity_id, soe.steps.order_by("position").first().pk
    return [
        f"/api/v1/deals/{deal}/soe/",
        f"/api/v1/deals/{deal}/soe/templates/",
        f"/api/v1/deals/{deal}/soe/history/",
        f"/api/v1/soe-steps/{step}/",
    ]


def writes(soe) -> list[tuple[str, str, dict]]:
    deal = soe.opportunity_id
    first, second = soe.steps.order_by("position").values_list("pk", flat=True)
    return [
        ("post", f"/api/v1/deals/{deal}/soe/reorder/", {"steps": [second, first]}),
        ("patch", f"/api/v1/soe-steps/{first}/", {"text": "IT security review"}),
        ("post", f"/api/v1/deals/{deal}/soe/steps/", {"text": "Pilot"}),
        ("post", f"/api/v1/deals/{deal}/soe/reception/", {"reception": "keen"}),
        ("post", f"/api/v1/soe-steps/{first}/done/", {}),
        ("post", f"/api/v1/soe-steps/{second}/skip/", {"reason": "Not needed"}),
        ("post", f"/api/v1/soe-steps/{first}/reopen/", {}),
    ]


@pytest.mark.parametrize("who", READERS)
def test_the_team_sales_ops_read_the_soe(client, request, soe, who):
    client.force_login(request.getfixturevalue(who))
    for path in reads(soe):
        assert client.get(path).status_code == 200, path


def test_an_outsider_finds_nothing_anywhere(client, outsider, soe):
    client.force_login(outsider)
    before = soe_state()
    for path in reads(soe):
        assert_problem(client.get(path), 404)
    for method, path, body in writes(soe):
        assert_problem(send(client, method, path, body), 404)
    assert_problem(send(client, "post", f"/api/v1/deals/{soe.opportunity_id}/soe/", {}), 404)
    assert soe_state() == before


def test_a_teammate_reads_but_every_change_is_403_and_nothing_saved(client, teammate, soe):
    client.force_login(teammate)
    before = soe_state()
    body = client.get(f"/api/v1/deals/{soe.opportunity_id}/soe/").json()
    assert body["can_edit"] is False
    assert body["stage_suggestion"] is None
    for method, path, payload in writes(soe):
        assert_problem(send(client, method, path, payload), 403)
    assert soe_state() == before


def test_a_teammate_cannot_start_an_soe_on_a_deal_not_theirs(client, teammate, deal):
    client.force_login(teammate)
    assert_problem(send(client, "post", f"/api/v1/deals/{deal.pk}/soe/", {}), 403)
    assert soe_state()[0] == 0


@pytest.mark.parametrize("who", EDITORS)
def test_the_owner_their_manager_and_sales_ops_change_it(client, request, soe, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    changes = writes(soe)
    before = soe.changes.count()
    for method, path, body in changes:
        response = send(client, method, path, body)
        created = path.endswith("/steps/")  # a new step; every other change answers 200
        assert response.status_code == (201 if created else 200), (path, response.content)
    # Each change is in the SOE's history, in the user's name.
    assert soe.changes.count() - before == len(changes)
    assert soe.changes.order_by("-pk").first().by == user


@pytest.mark.parametrize("who", EDITORS)
def test_the_owner_their_manager_and_sales_ops_start_it(client, request, deal, who):
    client.force_login(request.getfixturevalue(who))
    assert send(client, "post", f"/api/v1/deals/{deal.pk}/soe/", {}).status_code == 201


@pytest.mark.parametrize("path", ["/api/v1/deals/1/soe/", "/api/v1/soe-steps/1/"])
def test_signed_out_gets_401_problem(client, path):
    assert_problem(client.get(path), 401)


def test_a_token_marks_a_step_done_without_csrf_with_its_owners_reach(rep, outsider, soe):
    from django.test import Client

    from salesflow.core.apitokens.services import apitoken_create

    step = soe.steps.order_by("position").first()
    browserless = Client(enforce_csrf_checks=True)
    _, theirs = apitoken_create(actor=outsider, name="Their script")
    path = f"/api/v1/soe-steps/{step.pk}/done/"
    refused = browserless.post(
        path, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {theirs}"
    )
    assert_problem(refused, 404)
    _, mine = apitoken_create(actor=rep, name="Calendar sync")
    response = browserless.post(
        path, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {mine}"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    assert soe.changes.order_by("-pk").first().by == rep
