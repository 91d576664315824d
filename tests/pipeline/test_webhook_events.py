"""pipeline's services tell webhooks what happened to deals, SOE steps, follow-ups and
reviews, in their own transactions (salesflow.core.webhooks.events). The representation
of these objects is the API's (registered in pipeline's and reviews' ready()): `data` is
what the API answers for the same object at that moment."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipeline.deals import services as deal_services
from pipeline.followups import services as followup_services
from pipeline.followups import sweep as followup_sweep
from pipeline.followups.models import FollowUp
from pipeline.reviews.demo import run_review
from pipeline.soe import services as soe_services
from salesflow.core.models import OutboxMessage, WebhookEndpoint
from salesflow.core.webhooks import delivery
from salesflow.core.webhooks.events import EVENT_NAMES
from tests.factories import AccountFactory, UserFactory


@pytest.fixture(autouse=True)
def _no_sender_asked(monkeypatch):
    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: None)


@pytest.fixture
def everything(db):
    """An endpoint subscribed to every event."""
    owner = UserFactory(role="sales_ops")
    return WebhookEndpoint.objects.create(
        owner=owner, url="https://a.test/", events=sorted(EVENT_NAMES), secret="whsec_c2VjcmV0"
    )


def _told() -> list[tuple[str, int]]:
    return [
        (event, json.loads(body)["data"]["id"])
        for event, body in OutboxMessage.objects.filter(kind="webhook")
        .order_by("pk")
        .values_list("event", "body")
    ]


@pytest.mark.django_db
def test_deals_tell_created_updated_moved_won_and_lost(
    everything, rep, account, standard, stages, reason
):
    deal = deal_services.opportunity_create(
        actor=rep,
        account=account,
        name="Patient flow",
        owner=rep,
        value=48_000,
        pipeline=standard,
        stage=stages["Qualified"],
    )
    deal_services.opportunity_update(actor=rep, opportunity=deal, name="Patient flow")  # as is
    deal_services.opportunity_update(actor=rep, opportunity=deal, name="Patient flow v2")
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Won"], reason=reason["won"]
    )
    other = deal_services.opportunity_create(
        actor=rep,
        account=account,
        name="Other",
        owner=rep,
        value=1,
        pipeline=standard,
        stage=stages["Qualified"],
    )
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=other, to_stage=stages["Lost"], reason=reason["lost"]
    )
    told = [(event, pk) for event, pk in _told() if event.startswith("deal.")]
    assert told == [
        ("deal.created", deal.pk),
        ("deal.updated", deal.pk),
        ("deal.stage_moved", deal.pk),
        ("deal.won", deal.pk),
        ("deal.created", other.pk),
        ("deal.stage_moved", other.pk),
        ("deal.lost", other.pk),
    ]
    # Winning made the account a customer: an account update, told as one.
    assert ("account.updated", account.pk) in _told()


@pytest.mark.django_db
def test_soe_steps_tell_done_and_skipped(everything, rep, soe):
    first, second = soe.steps.order_by("position", "pk")
    soe_services.soe_step_done(actor=rep, step=first)
    soe_services.soe_step_skip(actor=rep, step=second, reason="Not needed any more")
    told = [item for item in _told() if item[0].startswith("soe_step.")]
    assert told == [("soe_step.done", first.pk), ("soe_step.skipped", second.pk)]


@pytest.mark.django_db
def test_follow_ups_tell_surfaced_by_the_sweep_or_by_hand_and_done(everything, rep, account):
    swept = [
        followup_services.followup_create(actor=rep, account=account, purpose=f"Ask {n}")
        for n in range(3)
    ]
    FollowUp.objects.filter(pk__in=[f.pk for f in swept]).update(
        surface_at=timezone.now() - timedelta(minutes=1)
    )
    by_hand = followup_services.followup_create(actor=rep, account=account, purpose="Now")
    FollowUp.objects.filter(pk=by_hand.pk).update(surface_at=timezone.now() + timedelta(days=3))
    assert followup_sweep.followups_surface_due() == 3
    by_hand.refresh_from_db()
    followup_services.followup_surface_now(actor=rep, follow_up=by_hand, reason="They called")
    followup_services.followup_done(actor=rep, follow_up=by_hand)
    told = [item for item in _told() if item[0].startswith("follow_up.")]
    assert sorted(told[:3]) == sorted(("follow_up.surfaced", f.pk) for f in swept)
    assert told[3:] == [("follow_up.surfaced", by_hand.pk), ("follow_up.done", by_hand.pk)]


@pytest.mark.django_db
def test_the_sweep_adds_one_query_per_batch_not_per_follow_up(rep):
    accounts = [AccountFactory(owner=rep) for _ in range(2)]
    past = timezone.now() - timedelta(minutes=1)

    def sweep_of(count: int) -> int:
        FollowUp.objects.bulk_create(
            FollowUp(account=accounts[n % 2], owner=rep, purpose="Ask", surface_at=past)
            for n in range(count)
        )
        with CaptureQueriesContext(connection) as queries:
            assert followup_sweep.followups_surface_due() == count
        return len(queries)

    assert sweep_of(2) == sweep_of(30)


@pytest.mark.django_db
def test_a_review_tells_when_it_is_finished(everything, rep, teammate):
    ops = UserFactory(role="sales_ops", is_staff=True)
    review = run_review(
        facilitator=ops, title="Q4", written=[(rep, "delta", "Slow"), (teammate, "plus", "Ok")]
    )
    assert review.phase == "summary"
    assert [item for item in _told() if item[0] == "review.finished"] == [
        ("review.finished", review.pk)
    ]


def _payloads(prefix: str, pk: int) -> list[dict]:
    """The `data` of each `prefix` event told about record `pk`."""
    bodies = OutboxMessage.objects.filter(kind="webhook", event__startswith=prefix)
    sent = [
        json.loads(body)["data"] for body in bodies.order_by("pk").values_list("body", flat=True)
    ]
    return [data for data in sent if data["id"] == pk]


@pytest.mark.django_db
def test_payloads_carry_what_the_api_shows(
    client, everything, rep, teammate, account, standard, stages, soe
):
    """A receiver gets the object as GET /api/v1/… shows it, not a bare id."""
    client.force_login(rep)
    deal = deal_services.opportunity_create(
        actor=rep,
        account=account,
        name="Patient flow",
        owner=rep,
        value=48_000,
        pipeline=standard,
        stage=stages["Qualified"],
    )
    (created,) = _payloads("deal.created", deal.pk)
    assert created == client.get(f"/api/v1/deals/{deal.pk}/").json()
    assert created["stage"]["name"] == "Qualified"

    step = soe.steps.order_by("position", "pk").first()
    soe_services.soe_step_done(actor=rep, step=step)
    (done,) = _payloads("soe_step.done", step.pk)
    assert done == client.get(f"/api/v1/soe-steps/{step.pk}/").json()
    assert done["status"] == "done"

    follow_up = followup_services.followup_create(actor=rep, account=account, purpose="Ask")
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now())
    assert followup_sweep.followups_surface_due() == 1
    (surfaced,) = _payloads("follow_up.surfaced", follow_up.pk)
    shown = client.get(f"/api/v1/follow-ups/{follow_up.pk}/").json()
    assert surfaced == {key: shown[key] for key in surfaced}
    assert surfaced["status"] == "surfaced"

    ops = everything.owner
    review = run_review(facilitator=ops, title="Q4", written=[(rep, "delta", "Slow")])
    (finished,) = _payloads("review.finished", review.pk)
    client.force_login(ops)
    listed = client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert finished == {key: listed[key] for key in finished}
    assert finished["people"] >= 1
    # Never who wrote what: no item, no author in the payload.
    assert rep.username not in json.dumps(finished)
