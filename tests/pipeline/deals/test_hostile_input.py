"""Random and hostile input on the deal forms, the move endpoint and the board: no 500,
nothing half-saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pipeline.deals.models import StageChange
from salesflow.core.models import Notification
from tests.hostile import OK, fuzz, hostile, ids
from tests.pipeline.hostile import state

pytestmark = pytest.mark.django_db


@fuzz
@given(stage=ids, from_stage=ids, reason=ids, note=hostile, htmx=st.booleans())
def test_move_endpoint(client, rep, deal, stages, stage, from_stage, reason, note, htmx):
    client.force_login(rep)
    before = state()
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(
        reverse("pipeline:opportunity_move", args=[deal.pk]),
        {"stage": stage, "from_stage": from_stage, "reason": reason, "note": note},
        **extra,
    )
    assert response.status_code in OK
    after = state()
    if after != before:
        # Moved whole: the stage changed and exactly one history row was written.
        assert after[1] == before[1] + 1
        assert after[0] == before[0]
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(
    name=hostile,
    owner=ids,
    value=hostile,
    currency=hostile,
    close=hostile,
    source=ids,
    step=hostile,
    pipeline=ids,
)
def test_new_deal_form(
    client, rep, account, standard, name, owner, value, currency, close, source, step, pipeline
):
    client.force_login(rep)
    before = state()
    response = client.post(
        reverse("pipeline:opportunity_create", args=[account.pk]),
        {
            "name": name,
            "owner": owner,
            "value": value,
            "currency": currency,
            "expected_close_date": close,
            "lead_source": source,
            "next_step": step,
            "pipeline": pipeline,
        },
    )
    assert response.status_code in OK
    after = state()
    if response.status_code == 302:
        assert (after[0], after[1]) == (before[0] + 1, before[1] + 1)
    else:
        assert after == before
    assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(name=hostile, owner=ids, value=hostile, currency=hostile, close=hostile, step=hostile)
def test_edit_deal_form(client, rep, deal, name, owner, value, currency, close, step):
    client.force_login(rep)
    before = state()
    response = client.post(
        reverse("pipeline:opportunity_edit", args=[deal.pk]),
        {
            "name": name,
            "owner": owner,
            "value": value,
            "currency": currency,
            "expected_close_date": close,
            "next_step": step,
        },
    )
    assert response.status_code in OK
    if response.status_code != 302:
        assert state() == before
    assert StageChange.objects.count() == before[1]


@fuzz
@given(note=hostile)
def test_vouch_form(client, manager, deal, note):
    client.force_login(manager)
    response = client.post(reverse("pipeline:specialist_override", args=[deal.pk]), {"note": note})
    assert response.status_code in OK
    deal.refresh_from_db()
    if deal.specialist_override_at is not None:
        assert deal.specialist_override_note.strip()


@fuzz
@given(
    params=st.dictionaries(
        st.sampled_from(["owner", "team", "segment", "lead_source", "offset", "page"]), ids
    ),
    htmx=st.booleans(),
)
def test_board_and_column_filters(client, rep, deal, stages, params, htmx):
    client.force_login(rep)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for url in (
        reverse("pipeline:board"),
        reverse("pipeline:board_column", args=[stages["Qualified"].pk]),
    ):
        response = client.get(url, params, **extra)
        assert response.status_code in OK
        assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz
@given(pk=st.integers(min_value=-(2**70), max_value=2**70))
def test_impossible_ids_in_urls(client, rep, deal, pk):
    client.force_login(rep)
    for name in (
        "pipeline:opportunity_detail",
        "pipeline:board_column",
        "pipeline:board_pipeline",
        "pipeline:dashboard_rep",
    ):
        try:
            url = reverse(name, args=[pk])
        except Exception:  # noqa: BLE001 - negative numbers do not match the URL pattern
            continue
        assert client.get(url).status_code in {200, 404}


def test_a_hostile_why_is_escaped_in_a_stuck_notification(rep, deal):
    from datetime import timedelta

    from django.utils import timezone

    from pipeline.deals import services as deal_services
    from prospects import services as prospect_services

    prospect_services.why_record(
        actor=rep,
        account=deal.account,
        text="<script>alert(1)</script>",
        said_on=timezone.localdate(),
    )
    StageChange.objects.filter(opportunity=deal).update(at=timezone.now() - timedelta(days=40))
    deal_services.opportunities_mark_stuck()
    assert Notification.objects.filter(user=rep).exists()
