"""The manager's approval of a draft: a team that reviews its follow-ups holds each draft
until its manager approves it or sends it back to be reworked; what waited when the team
stops reviewing is free to surface, on every page as for the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pipeline.followups import services as followup_services
from pipeline.followups import sweep as followup_sweep
from pipeline.followups.models import FollowUp
from salesflow.core.models import Notification


@pytest.mark.django_db
def test_a_team_that_reviews_drafts_holds_them_for_the_manager(
    client, rep, teammate, manager, account
):
    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget", draft="Hi Helen, any news?"
    )
    assert follow_up.review == "pending"
    assert followup_sweep.followups_surface_due() == 0  # due, but waiting for the manager
    with pytest.raises(ValidationError):
        followup_services.followup_surface_now(actor=rep, follow_up=follow_up, reason="In a hurry")
    with pytest.raises(ValidationError, match="manager"):
        followup_services.followup_approve(actor=teammate, follow_up=follow_up)
    client.force_login(manager)
    assert "Ask about budget" in client.get(reverse("home")).content.decode()
    with pytest.raises(ValidationError, match="what to change"):
        followup_services.followup_send_back(actor=manager, follow_up=follow_up)
    followup_services.followup_send_back(
        actor=manager, follow_up=follow_up, comment="Lead with their why"
    )
    follow_up.refresh_from_db()
    assert follow_up.review == "sent_back"
    followup_services.followup_revise(
        actor=rep,
        follow_up=follow_up,
        purpose="Ask about budget",
        draft="Hi Helen, you said beds stay blocked all weekend...",
    )
    follow_up.refresh_from_db()
    assert follow_up.review == "pending"
    response = client.post(
        reverse("pipeline:followup_approve", args=[follow_up.pk]),
        {"decision": "approve", "draft": "Hi Helen, you said beds stay blocked. Any news?"},
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.review, follow_up.reviewed_by) == ("approved", manager)
    assert follow_up.draft == "Hi Helen, you said beds stay blocked. Any news?"
    assert followup_sweep.followups_surface_due() == 1
    actions = list(follow_up.events.values_list("action", flat=True))
    assert actions == ["held", "sent back", "reworked", "approved", "surfaced"]


@pytest.mark.django_db
def test_review_messages_notifications_and_switching_review_off(client, rep, manager, account):
    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    assert Notification.objects.filter(user=manager, title__startswith="A draft to review").exists()
    with pytest.raises(ValidationError, match="waiting for the manager's review"):
        followup_services.followup_done(actor=rep, follow_up=follow_up)
    followup_services.followup_send_back(actor=manager, follow_up=follow_up, comment="Shorter")
    assert Notification.objects.filter(user=rep, title__startswith="Sent back").exists()
    client.force_login(rep)
    home = client.get(reverse("home")).content.decode()
    assert "Sent back: rework it" in home
    assert "“Shorter”" in home
    with pytest.raises(ValidationError, match="sent back"):
        followup_services.followup_done(actor=rep, follow_up=follow_up)
    # The team stops reviewing: what waited for it is free to surface.
    rep.team.review_followups = False
    rep.team.save()
    assert followup_sweep.followups_surface_due() == 1


@pytest.fixture
def released(rep, account):
    """A draft held for the team's review, due by the clock, and then the team stops
    reviewing drafts: the sweep would surface it, so every page calls it due."""
    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    assert follow_up.review == "pending"
    assert follow_up.surface_at <= timezone.now()
    rep.team.review_followups = False
    rep.team.save()
    return follow_up


def followup_page(client, follow_up) -> str:
    return client.get(reverse("pipeline:followup_detail", args=[follow_up.pk])).content.decode()


@pytest.mark.django_db
def test_a_follow_up_a_team_stopped_reviewing_is_due_on_its_page_as_for_the_sweep(
    client, rep, account, released
):
    from pipeline.followups import selectors as followup_selectors

    client.force_login(rep)
    page = followup_page(client, released)
    assert "Due now" in page
    assert "Mark done" in page
    assert "Review: no longer asked" in page
    assert "surfaces only once the manager approves" not in page
    account_page = client.get(reverse("prospects:account_detail", args=[account.pk]))
    assert "due now" in account_page.content.decode()
    assert [f.pk for f in followup_selectors.followups_due(user=rep)] == [released.pk]  # Today
    assert followup_sweep.followups_surface_due() == 1  # the sweep agrees
    assert "Mark done" in followup_page(client, released)


@pytest.mark.django_db
def test_a_follow_up_a_team_stopped_reviewing_waits_for_its_time_and_can_surface_now(
    client, rep, manager, released
):
    from pipeline.followups import selectors as followup_selectors

    FollowUp.objects.filter(pk=released.pk).update(surface_at=timezone.now() + timedelta(days=2))
    client.force_login(rep)
    page = followup_page(client, released)
    assert "Due now" not in page
    assert "Mark done" not in page
    assert "Surface now" in page  # nothing but its time stands in the way
    assert followup_selectors.followups_to_approve(user=manager) == []  # nor on the manager's list
    with pytest.raises(ValidationError, match="not waiting for a review"):
        followup_services.followup_approve(actor=manager, follow_up=released)
    followup_services.followup_surface_now(
        actor=rep, follow_up=released, reason="Their board meets"
    )


@pytest.mark.django_db
def test_a_draft_waiting_for_the_managers_review_is_not_due_on_any_page(client, rep, account):
    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    client.force_login(rep)
    page = followup_page(client, follow_up)
    for action in ("Due now", "Mark done", "Surface now"):
        assert action not in page
    assert "surfaces only once the manager approves" in page
    account_page = client.get(reverse("prospects:account_detail", args=[account.pk]))
    assert "waiting for the manager's review" in account_page.content.decode()
    assert followup_sweep.followups_surface_due() == 0


@pytest.mark.django_db
def test_only_a_team_with_a_manager_can_review_drafts():
    from salesflow.core.models import Team

    team = Team(name="South", review_followups=True)
    with pytest.raises(ValidationError, match="manager"):
        team.full_clean()
