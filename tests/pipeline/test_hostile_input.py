"""Hostile input across the pipeline's parts: an id past any row on each part's pages, and
every pipeline form sent in another charset. Each part's own forms and endpoints are
fuzzed in its folder's test_hostile_input.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.hostile import BAD_CHARSETS, assert_refused_as_not_utf8, bodies_in, csrf_client, post_in
from tests.pipeline.hostile import followup_state, soe_state, state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pk", [2**63 - 1, 2**63, 2**70])
@pytest.mark.parametrize(
    ("method", "name", "more"),
    [
        ("get", "pipeline:board_column", []),
        ("get", "pipeline:opportunity_detail", []),
        ("get", "pipeline:deal_bulk_detail", []),
        ("get", "pipeline:soe_step_edit", []),
        ("post", "pipeline:soe_step_done", []),
        ("get", "pipeline:followup_detail", []),
        ("post", "pipeline:followup_approve", []),
        ("post", "pipeline:followup_done", []),
        ("get", "reviews:detail", []),
        ("get", "reviews:summary", []),
        ("post", "reviews:advance", []),
    ],
)
def test_ids_beyond_any_row_are_404(client, sales_ops, method, name, more, pk):
    """An id past a bigint's range finds no row on PostgreSQL, like any unknown id."""
    client.force_login(sales_ops)
    url = reverse(name, args=[pk, *more])
    assert getattr(client, method)(url).status_code == 404


def every_write():
    from pipeline.followups.models import FollowUp
    from pipeline.reviews.models import Item, Review
    from pipeline.soe.models import CalendarFeed, SoeChange, SoeStep

    return (
        state(),
        soe_state(),
        followup_state(),
        SoeStep.objects.count(),
        SoeChange.objects.count(),
        FollowUp.objects.count(),
        CalendarFeed.objects.count(),
        Review.objects.count(),
        Item.objects.count(),
    )


@pytest.mark.parametrize("charset", BAD_CHARSETS)
def test_every_pipeline_form_sent_in_another_charset_is_refused_with_400(
    rep, deal, soe, stages, charset
):
    from pipeline.followups import services as followup_services

    follow_up = followup_services.followup_create(actor=rep, account=deal.account, purpose="Ask")
    step = soe.steps.first()
    forms = [
        (reverse("pipeline:opportunity_create", args=[deal.account_id]), {"name": "Déjà vu"}),
        (reverse("pipeline:opportunity_edit", args=[deal.pk]), {"name": "Déjà vu"}),
        (reverse("pipeline:opportunity_move", args=[deal.pk]), {"stage": stages["Evaluation"].pk}),
        (reverse("pipeline:specialist_request", args=[deal.pk]), {}),
        (
            reverse("pipeline:deal_bulk"),
            {"action": "move", "stage": stages["Evaluation"].pk, "ids": deal.pk, "note": "Été"},
        ),
        (reverse("pipeline:specialist_override", args=[deal.pk]), {"note": "Sûr"}),
        (
            reverse("pipeline:soe_step_add", args=[deal.pk]),
            {"text": "Réunion", "owner_side": "prospect"},
        ),
        (reverse("pipeline:soe_reorder", args=[deal.pk]), {"move": step.pk, "direction": "down"}),
        (reverse("pipeline:soe_reception", args=[deal.pk]), {"reception": "keen", "note": "Très"}),
        (reverse("pipeline:soe_step_edit", args=[step.pk]), {"text": "Été", "owner_side": "us"}),
        (
            reverse("pipeline:soe_step_skip", args=[step.pk]),
            {"reason": "Plus nécessaire"},
        ),
        (reverse("pipeline:followup_create", args=[deal.account_id]), {"purpose": "Café"}),
        (reverse("pipeline:followup_dismiss", args=[follow_up.pk]), {"reason": "Non"}),
        (reverse("pipeline:followup_approve", args=[follow_up.pk]), {"decision": "approve"}),
        (reverse("pipeline:calendar_settings"), {"action": "renew"}),
        (reverse("pipeline:dashboard_refresh"), {}),
        (reverse("reviews:create"), {"title": "Trimestre", "scope": "process"}),
        (reverse("logout"), {}),
    ]
    client, token = csrf_client(rep)
    before = every_write()
    for url, data in forms:
        for body, content_type in bodies_in(charset, {**data, "csrfmiddlewaretoken": token}):
            assert_refused_as_not_utf8(post_in(client, url, body, content_type))
    assert every_write() == before
    assert client.get(reverse("home")).status_code == 200  # still signed in: logout refused too
