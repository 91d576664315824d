"""A follow-up from its proposal to done: proposed by a call or a done step, held on purpose
(and so marinating, not stuck), surfaced early with a reason, done or dismissed; and the
pages that show it."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pipeline.followups import patience
from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp, FollowUpEvent
from pipeline.soe import services as soe_services


@pytest.mark.django_db
def test_a_follow_up_needs_a_purpose(rep, account):
    with pytest.raises(ValidationError, match="accomplish"):
        followup_services.followup_create(actor=rep, account=account, purpose="   ")
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_a_solution_call_proposes_a_follow_up_held_until_a_business_morning(rep, deal):
    from prospects import services as prospect_services

    prospect_services.conversation_log(
        actor=rep,
        account=deal.account,
        occurred_at=timezone.now(),
        channel="meeting",
        kind="solution_development",
        notes="Walked the ward with Helen",
    )
    follow_up = FollowUp.objects.get()
    assert follow_up.proposed
    assert follow_up.status == "held"
    assert follow_up.opportunity == deal
    assert follow_up.surface_at > timezone.now()
    local = follow_up.surface_at.astimezone(zoneinfo.ZoneInfo(rep.time_zone))
    assert (local.hour, local.minute) == (9, 0)
    assert patience.is_business_day(local.date())
    assert follow_up.holds[0]["why"] == "let the solution call sink in"
    # A second call does not pile up a second proposal.
    prospect_services.conversation_log(
        actor=rep,
        account=deal.account,
        occurred_at=timezone.now(),
        channel="call",
        kind="solution_development",
        notes="Went through the pilot plan",
    )
    assert FollowUp.objects.count() == 1


@pytest.mark.django_db
def test_the_time_zone_chosen_on_the_profile_sets_the_mornings_the_next_hold_ends_on(
    client, rep, deal
):
    from prospects import services as prospect_services

    client.force_login(rep)
    client.post(reverse("profile:time_zone"), {"time_zone": "Asia/Tokyo"})
    rep.refresh_from_db()
    prospect_services.conversation_log(
        actor=rep,
        account=deal.account,
        occurred_at=timezone.now(),
        channel="meeting",
        kind="solution_development",
        notes="Went through the pilot plan",
    )
    follow_up = FollowUp.objects.get()
    local = follow_up.surface_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (9, 0)
    # The pages say it in Tokyo's time too.
    page = client.get(reverse("pipeline:followup_detail", args=[follow_up.pk]))
    assert "09:00" in page.content.decode()


@pytest.mark.django_db
def test_a_done_soe_step_proposes_a_follow_up_that_marinates(rep, deal):
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(actor=rep, sequence=sequence, text="Security review")
    soe_services.soe_step_done(actor=rep, step=step)
    follow_up = FollowUp.objects.get()
    assert "Security review" in follow_up.purpose
    assert any(hold["rule"] == "after_soe_step" for hold in follow_up.holds)


@pytest.mark.django_db
def test_a_deal_with_a_held_follow_up_is_marinating_not_stuck(rep, deal):
    from tests.pipeline.deals.test_stuck import idle, stuck_ids

    idle(deal, 30)
    assert stuck_ids() == {deal.pk}
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, opportunity=deal, purpose="Check in"
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=2))
    assert stuck_ids() == set()
    # Once its time has come it no longer shields the deal.
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() - timedelta(hours=1))
    assert stuck_ids() == {deal.pk}


@pytest.mark.django_db
def test_done_dismiss_and_surface_now_are_guarded_and_kept(rep, teammate, account):
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="still held: its time has not come"):
        followup_services.followup_done(actor=rep, follow_up=follow_up)
    with pytest.raises(ValidationError, match="cannot wait"):
        followup_services.followup_surface_now(actor=rep, follow_up=follow_up, reason="")
    with pytest.raises(ValidationError, match="read-only"):
        followup_services.followup_surface_now(
            actor=teammate, follow_up=follow_up, reason="Mine now"
        )
    followup_services.followup_surface_now(
        actor=rep, follow_up=follow_up, reason="They asked for it today"
    )
    follow_up.refresh_from_db()
    assert follow_up.surfaced_early_reason == "They asked for it today"
    followup_services.followup_done(actor=rep, follow_up=follow_up)
    with pytest.raises(ValidationError):
        followup_services.followup_dismiss(actor=rep, follow_up=follow_up, reason="Too late")
    actions = list(
        FollowUpEvent.objects.filter(follow_up=follow_up).values_list("action", flat=True)
    )
    assert actions == ["held", "surfaced early", "done"]


@pytest.mark.django_db
def test_today_lists_due_follow_ups_with_the_why_even_before_the_sweep(client, rep, account):
    from prospects import services as prospect_services

    prospect_services.why_record(
        actor=rep, account=account, text="Beds blocked all weekend", said_on=timezone.localdate()
    )
    due = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about the pilot", draft="Helen, how did it go?"
    )
    held = followup_services.followup_create(actor=rep, account=account, purpose="Board date")
    FollowUp.objects.filter(pk=held.pk).update(surface_at=timezone.now() + timedelta(days=3))
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    today = html[html.index("Today") : html.index("Held back")]
    assert "Ask about the pilot" in today
    assert "Helen, how did it go?" in today
    assert "Beds blocked all weekend" in today
    assert "Board date" not in today
    assert "Board date" in html[html.index("Held back") :]
    assert due.status == "held"  # still held: "due" is read from the database


@pytest.mark.django_db
def test_follow_up_pages_and_access(client, rep, teammate, outsider, account):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:followup_create", args=[account.pk]),
        {"purpose": "Hear how the pilot went", "channel": "call", "draft": "Ask Helen"},
    )
    follow_up = FollowUp.objects.get()
    assert response["Location"] == reverse("pipeline:followup_detail", args=[follow_up.pk])
    bad = client.post(reverse("pipeline:followup_create", args=[account.pk]), {"purpose": ""})
    assert bad.status_code == 422
    assert FollowUp.objects.count() == 1
    client.force_login(teammate)
    assert client.get(reverse("pipeline:followup_detail", args=[follow_up.pk])).status_code == 200
    url = reverse("pipeline:followup_dismiss", args=[follow_up.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("pipeline:followup_detail", args=[follow_up.pk])).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.status == "held"


@pytest.mark.django_db
def test_the_manager_sees_patience_broken_with_its_reason(client, rep, manager, account):
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=2))
    followup_services.followup_surface_now(
        actor=rep, follow_up=follow_up, reason="Their board meets today"
    )
    client.force_login(manager)
    assert "Their board meets today" in client.get(reverse("home")).content.decode()
