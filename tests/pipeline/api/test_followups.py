"""Follow-ups through the API: made through the service and held by the patience rules (the
answer says why and until when), moved on as on their page (surface now with a reason,
done once due, dismiss with a reason), the manager's approval, and every refusal in the
service's words with nothing half-saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp, FollowUpEvent
from prospects import services as prospect_services
from prospects.models import Conversation
from tests.factories import AccountFactory
from tests.pipeline.api.soe_support import assert_problem, send
from tests.pipeline.hostile import followup_state

pytestmark = pytest.mark.django_db


def hold_back(follow_up: FollowUp, days: int = 3) -> None:
    """Held, its time still to come (whatever rules applied when it was made)."""
    FollowUp.objects.filter(pk=follow_up.pk).update(
        surface_at=timezone.now() + timedelta(days=days)
    )


def test_a_follow_up_after_a_solution_call_is_held_and_says_why(client, rep, deal):
    prospect_services.conversation_log(
        actor=rep,
        account=deal.account,
        occurred_at=timezone.now(),
        channel="meeting",
        kind="solution_development",
        notes="Walked the ward with Helen",
    )
    FollowUp.objects.all().delete()  # the one the rules proposed: this test makes its own
    client.force_login(rep)
    response = send(
        client,
        "post",
        "/api/v1/follow-ups/",
        {
            "account": deal.account_id,
            "deal": deal.pk,
            "purpose": "Hear how the call sits with them",
            "draft": "Hi Helen",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    follow_up = FollowUp.objects.get(pk=body["id"])
    assert (body["status"], body["due"]) == ("held", False)
    assert body["held_until"] is not None
    assert body["held_until"] == body["surface_at"]
    assert follow_up.surface_at > timezone.now()
    assert [hold["why"] for hold in body["holds"]] == ["let the solution call sink in"]
    assert body["holds"][0]["rule"] == "after_conversation"
    assert body["deal"] == {"id": deal.pk, "name": deal.name}
    assert body["owner"]["id"] == rep.pk
    assert [event["action"] for event in body["history"]] == ["held"]
    assert body["can_edit"] is True
    assert client.get(f"/api/v1/follow-ups/{follow_up.pk}/").json() == body


def test_with_no_rule_in_the_way_it_is_due_at_once(client, rep, account):
    client.force_login(rep)
    body = send(
        client, "post", "/api/v1/follow-ups/", {"account": account.pk, "purpose": "Ask"}
    ).json()
    assert (body["status"], body["due"], body["held_until"], body["holds"]) == (
        "held",
        True,
        None,
        [],
    )


def test_a_bad_create_names_the_field_and_saves_nothing(client, rep, account, deal, outsider):
    closed_account = AccountFactory(owner=rep)
    elsewhere = AccountFactory(owner=outsider)
    client.force_login(rep)
    before = followup_state()
    cases = [
        ({"account": account.pk}, "purpose"),
        ({"account": account.pk, "purpose": "   "}, "purpose"),
        ({"account": elsewhere.pk, "purpose": "Ask"}, "account"),
        ({"account": closed_account.pk, "deal": deal.pk, "purpose": "Ask"}, "deal"),
        ({"account": account.pk, "purpose": "Ask", "channel": "pigeon"}, "channel"),
        ({"purpose": "Ask"}, "account"),
    ]
    for payload, field in cases:
        body = assert_problem(send(client, "post", "/api/v1/follow-ups/", payload), 400)
        assert field in body["errors"], (payload, body)
    assert followup_state() == before


def test_a_closed_deal_takes_no_new_follow_up(client, rep, deal, reason, stages):
    from pipeline.deals import services as deal_services

    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Lost"], reason=reason["lost"]
    )
    client.force_login(rep)
    payload = {"account": deal.account_id, "deal": deal.pk, "purpose": "Ask"}
    body = assert_problem(send(client, "post", "/api/v1/follow-ups/", payload), 400)
    assert body["errors"] == {"deal": ["Pick one of this account's open deals."]}


def test_surface_now_breaks_patience_with_a_reason_kept(client, rep, account):
    follow_up = followup_services.followup_create(actor=rep, account=account, purpose="Ask")
    hold_back(follow_up)
    client.force_login(rep)
    path = f"/api/v1/follow-ups/{follow_up.pk}/surface-now/"
    body = assert_problem(send(client, "post", path, {"reason": "  "}), 400)
    assert list(body["errors"]) == ["reason"]
    assert FollowUp.objects.get(pk=follow_up.pk).status == "held"
    response = send(client, "post", path, {"reason": "Their board meets Friday"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["due"], body["surfaced_early_reason"]) == (
        "surfaced",
        True,
        "Their board meets Friday",
    )
    assert body["history"][-1]["action"] == "surfaced early"
    body = assert_problem(send(client, "post", path, {"reason": "Again"}), 400)
    assert body["errors"]["non_field_errors"] == ["This follow-up is already surfaced."]


def test_done_waits_until_it_is_due_then_logs_the_conversation(client, rep, account):
    follow_up = followup_services.followup_create(actor=rep, account=account, purpose="Ask")
    hold_back(follow_up)
    client.force_login(rep)
    path = f"/api/v1/follow-ups/{follow_up.pk}/done/"
    body = assert_problem(send(client, "post", path, {}), 400)
    assert body["errors"]["non_field_errors"] == [
        "This follow-up is still held: its time has not come."
    ]
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now())
    response = send(client, "post", path, {"kind": "qualifying", "notes": "They are keen"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    assert response.json()["closed_at"] is not None
    assert Conversation.objects.get(account=account).notes == "They are keen"
    body = assert_problem(send(client, "post", path, {}), 400)
    assert body["errors"]["non_field_errors"] == ["This follow-up is already done."]


def test_dismiss_needs_a_reason_and_is_final(client, rep, account):
    follow_up = followup_services.followup_create(actor=rep, account=account, purpose="Ask")
    client.force_login(rep)
    path = f"/api/v1/follow-ups/{follow_up.pk}/dismiss/"
    assert_problem(send(client, "post", path, {}), 400)
    body = send(client, "post", path, {"reason": "They signed"}).json()
    assert (body["status"], body["dismissed_reason"]) == ("dismissed", "They signed")
    before = followup_state()
    surface = f"/api/v1/follow-ups/{follow_up.pk}/surface-now/"
    body = assert_problem(send(client, "post", surface, {"reason": "Now"}), 400)
    assert body["errors"]["non_field_errors"] == ["This follow-up is already dismissed."]
    assert followup_state() == before


@pytest.fixture
def reviewing(rep, manager):
    rep.team.review_followups = True
    rep.team.save()
    return rep.team


def test_the_manager_approves_a_draft_before_it_may_surface(
    client, rep, manager, reviewing, account
):
    client.force_login(rep)
    created = send(
        client, "post", "/api/v1/follow-ups/", {"account": account.pk, "purpose": "Ask"}
    ).json()
    assert created["approval"]["state"] == "pending"
    assert created["approval"]["awaiting"] is True
    assert created["due"] is False
    pk = created["id"]
    # Not past the approval, nor approved by the rep.
    body = assert_problem(
        send(client, "post", f"/api/v1/follow-ups/{pk}/surface-now/", {"reason": "Now"}), 400
    )
    assert body["errors"]["non_field_errors"] == [
        "This follow-up is waiting for the manager's review."
    ]
    assert_problem(send(client, "post", f"/api/v1/follow-ups/{pk}/approve/", {}), 403)
    client.force_login(manager)
    assert client.get(f"/api/v1/follow-ups/{pk}/").json()["may_approve"] is True
    body = assert_problem(send(client, "post", f"/api/v1/follow-ups/{pk}/send-back/", {}), 400)
    assert list(body["errors"]) == ["comment"]
    sent_back = send(
        client, "post", f"/api/v1/follow-ups/{pk}/send-back/", {"comment": "Lead with the why"}
    ).json()
    assert sent_back["approval"]["state"] == "sent_back"
    assert sent_back["approval"]["reviewed_by"]["id"] == manager.pk
    client.force_login(rep)
    revised = send(
        client,
        "post",
        f"/api/v1/follow-ups/{pk}/revise/",
        {"purpose": "Ask about their why", "draft": "Hi"},
    ).json()
    assert (revised["purpose"], revised["approval"]["state"]) == ("Ask about their why", "pending")
    # A rework that leaves the draft out keeps it.
    kept = send(client, "post", f"/api/v1/follow-ups/{pk}/revise/", {"purpose": "Ask why"})
    assert (kept.json()["purpose"], kept.json()["draft"]) == ("Ask why", "Hi")
    client.force_login(manager)
    approved = send(client, "post", f"/api/v1/follow-ups/{pk}/approve/", {"comment": "Good"})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert (body["approval"]["state"], body["approval"]["awaiting"], body["due"]) == (
        "approved",
        False,
        True,
    )
    actions = [event["action"] for event in body["history"]]
    assert actions == ["held", "sent back", "reworked", "reworked", "approved"]
    assert FollowUpEvent.objects.filter(follow_up_id=pk).count() == 5
