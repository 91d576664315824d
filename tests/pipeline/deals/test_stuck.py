"""Stuck deals: computed in SQL from history, recorded daily by Celery, owners told once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.deals import selectors as deal_selectors
from pipeline.deals import services as deal_services
from pipeline.deals.models import Opportunity, StageChange
from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp
from pipeline.soe import services as soe_services
from prospects import services as prospect_services
from prospects.merge import services as merge_services
from salesflow.core.models import Notification
from tests.factories import AccountFactory


def idle(deal, days):
    """Pretend the deal entered its stage `days` ago (and was created then)."""
    then = timezone.now() - timedelta(days=days)
    StageChange.objects.filter(opportunity=deal).update(at=then)
    Opportunity.objects.filter(pk=deal.pk).update(created_at=then)


def stuck_ids():
    return set(
        deal_selectors.stuck_opportunities(Opportunity.objects.all()).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_a_deal_idle_longer_than_its_stage_allows_is_stuck(deal, stages):
    assert stages["Qualified"].stuck_after_days == 14
    idle(deal, 13)
    assert stuck_ids() == set()
    idle(deal, 15)
    assert stuck_ids() == {deal.pk}


@pytest.mark.django_db
def test_a_recent_conversation_on_the_account_counts_as_activity(rep, deal, log_yes):
    idle(deal, 30)
    log_yes(deal.account, when=timezone.now() - timedelta(days=2))
    assert stuck_ids() == set()


@pytest.mark.django_db
def test_a_stage_without_a_limit_never_makes_deals_stuck(deal, stages):
    stage = stages["Qualified"]
    stage.stuck_after_days = None
    stage.save()
    idle(deal, 400)
    assert stuck_ids() == set()


@pytest.mark.django_db
def test_closed_deals_are_never_stuck(rep, deal, stages, reason):
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Lost"], reason=reason["lost"]
    )
    idle(deal, 400)
    assert stuck_ids() == set()


@pytest.mark.django_db
def test_marking_notifies_the_owner_once_with_the_why_and_a_move_unsticks(rep, deal, stages):
    prospect_services.why_record(
        actor=rep,
        account=deal.account,
        text="Friday discharges stall",
        said_on=timezone.localdate(),
    )
    idle(deal, 20)
    assert deal_services.opportunities_mark_stuck() == (1, 0)
    assert deal_services.opportunities_mark_stuck() == (0, 0)  # told once
    note = Notification.objects.get(user=rep)
    assert note.kind == "stuck_deal"
    assert "Qualified" in note.title
    assert "Friday discharges stall" in note.body
    assert note.url == reverse("pipeline:opportunity_detail", args=[deal.pk])
    deal.refresh_from_db()
    assert deal.stuck_since is not None
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Evaluation"])
    deal.refresh_from_db()
    assert deal.stuck_since is None
    assert stuck_ids() == set()


@pytest.mark.django_db
def test_a_deal_that_comes_back_to_life_is_unstuck(rep, deal, stages, log_yes):
    idle(deal, 20)
    deal_services.opportunities_mark_stuck()
    log_yes(deal.account)  # at once, by the conversation
    deal.refresh_from_db()
    assert deal.stuck_since is None
    assert deal_services.opportunities_mark_stuck() == (0, 0)


@pytest.mark.django_db
def test_a_deal_the_rules_no_longer_call_stuck_is_unstuck_by_the_daily_run(deal, stages):
    idle(deal, 20)
    deal_services.opportunities_mark_stuck()
    stage = stages["Qualified"]
    stage.stuck_after_days = 60  # sales ops gives the stage more time
    stage.save()
    assert deal_services.opportunities_mark_stuck() == (0, 1)
    deal.refresh_from_db()
    assert deal.stuck_since is None


@pytest.mark.django_db
def test_the_rep_home_lists_stuck_deals_with_their_why(client, rep, deal, open_deal):
    prospect_services.why_record(
        actor=rep,
        account=deal.account,
        text="Beds blocked all weekend",
        said_on=timezone.localdate(),
    )
    idle(deal, 20)
    fresh = open_deal(rep)
    deal_services.opportunities_mark_stuck()  # Today lists what the check found
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    assert "Stuck deals" in html
    assert "Beds blocked all weekend" in html
    assert reverse("pipeline:opportunity_detail", args=[deal.pk]) in html
    assert reverse("pipeline:opportunity_detail", args=[fresh.pk]) not in html


def today_lists(client, deal) -> bool:
    html = client.get(reverse("home")).content.decode()
    return reverse("pipeline:opportunity_detail", args=[deal.pk]) in html


@pytest.mark.django_db
def test_today_lists_the_checks_findings_and_activity_takes_a_deal_off_at_once(
    client, rep, deal, log_yes
):
    client.force_login(rep)
    idle(deal, 20)
    assert not today_lists(client, deal)  # stuck since the last check: the next one finds it
    deal_services.opportunities_mark_stuck()
    assert today_lists(client, deal)

    # A conversation logged today is activity: off the list, and the finding forgotten.
    log_yes(deal.account)
    assert not today_lists(client, deal)
    assert Opportunity.objects.get(pk=deal.pk).stuck_since is None
    assert Notification.objects.filter(user=rep, kind="stuck_deal").count() == 1


@pytest.mark.django_db
def test_a_conversation_logged_long_after_it_happened_leaves_the_deal_stuck(
    client, rep, deal, log_yes
):
    client.force_login(rep)
    idle(deal, 40)
    deal_services.opportunities_mark_stuck()
    log_yes(deal.account, when=timezone.now() - timedelta(days=30))
    assert today_lists(client, deal)
    assert Opportunity.objects.get(pk=deal.pk).stuck_since is not None


@pytest.mark.django_db
def test_an_soe_change_or_a_held_follow_up_takes_a_deal_off_today(client, rep, deal, open_deal):
    client.force_login(rep)
    other = open_deal(rep)
    for each in (deal, other):
        idle(each, 20)
    deal_services.opportunities_mark_stuck()
    assert today_lists(client, deal)
    assert today_lists(client, other)

    soe_services.soe_start(actor=rep, opportunity=deal)
    assert not today_lists(client, deal)
    assert Opportunity.objects.get(pk=deal.pk).stuck_since is None

    follow_up = followup_services.followup_create(
        actor=rep, account=other.account, opportunity=other, purpose="Ask about the pilot"
    )
    assert today_lists(client, other)  # no rule holds it back: due now, nothing marinates
    # Held back a week (as a patience rule would): the deal is marinating, not stuck.
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=7))
    assert not today_lists(client, other)


@pytest.mark.django_db
def test_merging_in_an_account_with_a_recent_conversation_unsticks_the_deals(rep, deal, log_yes):
    idle(deal, 20)
    deal_services.opportunities_mark_stuck()
    twin = AccountFactory(owner=rep, name="St Brigid's (duplicate)")
    log_yes(twin)
    merge_services.account_merge(actor=rep, survivor=deal.account, duplicate=twin, values={})
    assert Opportunity.objects.get(pk=deal.pk).stuck_since is None


@pytest.mark.django_db
def test_the_board_and_deal_page_show_the_stuck_badge(client, rep, deal):
    idle(deal, 20)
    client.force_login(rep)
    assert "Stuck — revisit the why" in client.get(reverse("pipeline:board")).content.decode()
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk])).content.decode()
    assert "Revisit their why" in page


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_daily_task_runs_on_a_real_worker(celery_worker_thread, rep, deal):
    from pipeline.tasks import mark_stuck_deals

    idle(deal, 20)
    assert stuck_ids() == {deal.pk}
    mark_stuck_deals.delay()
    told = Notification.objects.filter(user=rep, kind="stuck_deal")
    deadline = time.monotonic() + 60  # a loaded CI machine can be slow to hand it over
    while not told.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Notification.objects.filter(user=rep, kind="stuck_deal").count() == 1
    assert Opportunity.objects.get(pk=deal.pk).stuck_since is not None


def test_the_daily_check_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["mark-stuck-deals"]
    assert entry["task"] == "pipeline.tasks.mark_stuck_deals"
    assert entry["schedule"].hour == {settings.SALESFLOW_STUCK_CHECK_HOUR}


# --- Marinating, not stuck: one rule for the board, the deal page, Today and the figures ---


@pytest.fixture
def dragging(rep, open_deal):
    """A deal idle in Evaluation for longer than the stage allows (30 days), found stuck by
    the daily check, for which the rep then plans a follow-up: a dragging evaluation is not
    chased, so the patience rules hold it back a week. The deal marinates."""
    deal = open_deal(rep, "Evaluation", name="Ward rollout")
    idle(deal, 40)
    assert deal_services.opportunities_mark_stuck() == (1, 0)
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, opportunity=deal, purpose="Ask how the pilot went"
    )
    assert follow_up.surface_at > timezone.now() + timedelta(days=6)
    assert follow_up.holds[0]["rule"] == "dragging_evaluation"
    return deal


def card_html(client, deal) -> str:
    html = client.get(reverse("pipeline:board")).content.decode()
    start = html.index(f'id="deal-{deal.pk}"')
    return html[start : html.index("</li>", start)]


@pytest.mark.django_db
def test_a_marinating_deal_shows_no_stuck_badge_on_its_board_card(client, rep, dragging):
    client.force_login(rep)
    card = card_html(client, dragging)
    assert "Stuck" not in card
    assert "is-stuck" not in client.get(reverse("pipeline:board")).content.decode()
    assert "Marinating: follow-up held until" in card


@pytest.mark.django_db
def test_a_marinating_deal_page_says_marinating_not_stuck(client, rep, dragging):
    client.force_login(rep)
    page = client.get(reverse("pipeline:opportunity_detail", args=[dragging.pk])).content.decode()
    assert "Revisit their why" not in page
    assert '<span class="badge text-bg-danger">Stuck</span>' not in page
    assert "Marinating, not stuck: a follow-up is held back on purpose until" in page


@pytest.mark.django_db
def test_holding_a_follow_up_back_clears_the_stuck_checks_finding(client, rep, dragging):
    assert Opportunity.objects.get(pk=dragging.pk).stuck_since is None
    assert stuck_ids() == set()
    assert deal_services.opportunities_mark_stuck() == (0, 0)  # marinating: nobody told again
    client.force_login(rep)
    assert not today_lists(client, dragging)


@pytest.mark.django_db
def test_the_coaching_figures_count_no_marinating_deal_as_stuck(manager, rep, open_deal):
    from pipeline.dashboard import coaching
    from pipeline.dashboard.scope import DashboardFilters, Scope

    scope = Scope(user=manager, filters=DashboardFilters())
    quiet, held = open_deal(rep), open_deal(rep)
    for each in (quiet, held):
        idle(each, 20)
    deal_services.opportunities_mark_stuck()
    # Held back a week after the morning's check, whatever way it came to be held: the
    # finding still stands in stuck_since, but the deal marinates.
    follow_up = followup_services.followup_create(
        actor=rep, account=held.account, opportunity=held, purpose="Ask about the pilot"
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=7))
    Opportunity.objects.filter(pk=held.pk).update(stuck_since=timezone.now())
    rows = {row["rep_id"]: row for row in coaching.coaching(scope)}
    assert rows[rep.pk]["stuck"] == 1
    assert [deal.pk for deal in coaching.rep_coaching(scope, rep).stuck] == [quiet.pk]


@pytest.mark.django_db
def test_a_deal_whose_hold_has_passed_is_stuck_again_everywhere(client, rep, dragging):
    FollowUp.objects.filter(opportunity=dragging).update(
        surface_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(rep)
    assert "Stuck — revisit the why" in card_html(client, dragging)
    page = client.get(reverse("pipeline:opportunity_detail", args=[dragging.pk])).content.decode()
    assert "Revisit their why" in page
    assert "Marinating" not in page
    assert deal_services.opportunities_mark_stuck() == (1, 0)  # the next check finds it again
    assert today_lists(client, dragging)
