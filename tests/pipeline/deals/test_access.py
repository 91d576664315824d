"""Who sees and changes which deal: owner, teammate, manager, sales ops and an outsider."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pipeline.deals.models import Opportunity, StageChange

pytestmark = pytest.mark.django_db


POSTS = {
    "pipeline:opportunity_move": lambda deal, stages: {
        "stage": stages["Evaluation"].pk,
        "from_stage": deal.stage_id,
    },
    "pipeline:specialist_request": lambda deal, stages: {},
    "pipeline:specialist_override": lambda deal, stages: {"note": "Budget is approved"},
}


def as_user(client, user):
    client.force_login(user)
    return client


def snapshot(deal):
    deal = Opportunity.objects.get(pk=deal.pk)
    return (
        deal.stage_id,
        deal.specialist_requested_at,
        deal.specialist_override_at,
        StageChange.objects.filter(opportunity=deal).count(),
    )


def test_owner_reads_and_edits(client, rep, deal):
    as_user(client, rep)
    assert client.get(reverse("pipeline:opportunity_detail", args=[deal.pk])).status_code == 200
    assert client.get(reverse("pipeline:opportunity_edit", args=[deal.pk])).status_code == 200
    assert client.get(reverse("pipeline:board")).status_code == 200


def test_teammate_reads_but_may_not_edit(client, teammate, deal, stages):
    as_user(client, teammate)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    assert page.status_code == 200
    assert b"Read-only" in page.content
    assert b"Move to another stage" not in page.content
    assert client.get(reverse("pipeline:opportunity_edit", args=[deal.pk])).status_code == 403
    before = snapshot(deal)
    for name in ("pipeline:specialist_request", "pipeline:specialist_override"):
        response = client.post(reverse(name, args=[deal.pk]), POSTS[name](deal, stages))
        assert response.status_code == 403
    response = client.post(
        reverse("pipeline:opportunity_move", args=[deal.pk]),
        POSTS["pipeline:opportunity_move"](deal, stages),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert "read-only" in response.content.decode()
    assert snapshot(deal) == before


def test_teammate_cannot_open_a_deal_on_a_reps_account(client, teammate, account):
    url = reverse("pipeline:opportunity_create", args=[account.pk])
    assert as_user(client, teammate).get(url).status_code == 403


@pytest.mark.parametrize(
    "name", ["pipeline:opportunity_detail", "pipeline:opportunity_edit", *POSTS]
)
def test_outsider_gets_404_everywhere(client, outsider, deal, stages, name):
    before = snapshot(deal)
    as_user(client, outsider)
    if name in POSTS:
        response = client.post(reverse(name, args=[deal.pk]), POSTS[name](deal, stages))
    else:
        response = client.get(reverse(name, args=[deal.pk]))
    assert response.status_code == 404
    assert snapshot(deal) == before


def test_outsider_does_not_see_the_deal_on_the_board(client, outsider, deal):
    html = as_user(client, outsider).get(reverse("pipeline:board")).content.decode()
    assert f"deal-{deal.pk}" not in html
    more = reverse("pipeline:board_column", args=[deal.stage_id])
    assert f"deal-{deal.pk}" not in as_user(client, outsider).get(more).content.decode()


def test_outsider_cannot_open_a_deal_on_someone_elses_account(client, outsider, account):
    url = reverse("pipeline:opportunity_create", args=[account.pk])
    assert as_user(client, outsider).get(url).status_code == 404


def test_manager_and_sales_ops_edit_and_move(client, manager, sales_ops, deal, stages):
    for user, target in ((manager, "Evaluation"), (sales_ops, "Decision")):
        as_user(client, user)
        assert client.get(reverse("pipeline:opportunity_edit", args=[deal.pk])).status_code == 200
        deal.refresh_from_db()
        response = client.post(
            reverse("pipeline:opportunity_move", args=[deal.pk]),
            {"stage": stages[target].pk, "from_stage": deal.stage_id},
        )
        assert response.status_code == 302
        assert Opportunity.objects.get(pk=deal.pk).stage == stages[target]


def test_only_a_manager_sees_the_vouch_form(client, rep, manager, deal):
    url = reverse("pipeline:opportunity_detail", args=[deal.pk])
    assert b"Vouch for this deal" not in as_user(client, rep).get(url).content
    assert b"Vouch for this deal" in as_user(client, manager).get(url).content
    response = as_user(client, rep).post(
        reverse("pipeline:specialist_override", args=[deal.pk]), {"note": "Trust me"}
    )
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=deal.pk).specialist_override_at is None
