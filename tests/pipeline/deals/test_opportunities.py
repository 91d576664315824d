"""Deals and the one service every stage move goes through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pipeline.deals import selectors as deal_selectors
from pipeline.deals import services as deal_services
from pipeline.deals.models import Opportunity, Pipeline, Stage, StageChange
from prospects.merge import services as merge_services
from prospects.models import LeadSource
from tests.factories import AccountFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def test_new_deal_starts_in_the_first_open_stage_with_the_accounts_lead_source(rep, standard):
    source = LeadSource.objects.create(name="Referral")
    account = AccountFactory(owner=rep, lead_source=source)
    deal = deal_services.opportunity_create(actor=rep, account=account, name="Pilot", owner=rep)
    assert deal.pipeline == standard
    assert deal.stage.name == "Lead"
    assert deal.lead_source == source
    first = StageChange.objects.get(opportunity=deal)
    assert (first.from_stage, first.to_stage, first.by) == (None, deal.stage, rep)


def test_a_segment_with_its_own_pipeline_opens_deals_there(rep, standard):
    hospitals = SegmentFactory(name="Hospitals")
    own = Pipeline.objects.create(name="Hospitals", segment=hospitals)
    Stage.objects.create(pipeline=own, name="Clinical review", probability=20, position=0)
    account = AccountFactory(owner=rep, segment=hospitals)
    deal = deal_services.opportunity_create(actor=rep, account=account, name="Wards", owner=rep)
    assert (deal.pipeline, deal.stage.name) == (own, "Clinical review")


def test_deals_are_opened_only_on_accounts_the_user_may_edit(rep, teammate, standard):
    theirs = AccountFactory(owner=teammate)
    with pytest.raises(ValidationError, match="accounts you may edit"):
        deal_services.opportunity_create(actor=rep, account=theirs, name="Mine now", owner=rep)
    assert not Opportunity.objects.exists()


def test_a_rep_cannot_give_a_deal_to_someone_else(rep, teammate, account, standard):
    with pytest.raises(ValidationError):
        deal_services.opportunity_create(actor=rep, account=account, name="Gift", owner=teammate)


def test_a_deal_cannot_start_in_a_closed_stage(rep, account, standard, stages):
    with pytest.raises(ValidationError):
        deal_services.opportunity_create(
            actor=rep, account=account, name="Done", owner=rep, stage=stages["Won"]
        )


def test_a_move_records_from_to_by_note_and_the_readiness_heard(rep, deal, stages, log_yes):
    log_yes(deal.account)
    change = deal_services.opportunity_move_stage(
        actor=rep,
        opportunity=deal,
        to_stage=stages["Solution development"],
        from_stage=stages["Qualified"],
        note="They want a pilot",
    )
    deal.refresh_from_db()
    assert deal.stage == stages["Solution development"]
    assert (change.from_stage, change.to_stage, change.by, change.note) == (
        stages["Qualified"],
        stages["Solution development"],
        rep,
        "They want a pilot",
    )
    assert (change.has_problem, change.accepts_significance, change.ready_to_act) == (
        "yes",
        "yes",
        "yes",
    )
    assert StageChange.objects.filter(opportunity=deal).count() == 2


@pytest.mark.parametrize("target", ["Won", "Lost"])
def test_closing_asks_for_a_reason(rep, deal, stages, target):
    with pytest.raises(deal_services.MoveRefused, match="Say why"):
        deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages[target])
    deal.refresh_from_db()
    assert deal.stage == stages["Qualified"]
    assert StageChange.objects.filter(opportunity=deal).count() == 1


def test_a_reason_must_fit_the_outcome(rep, deal, stages, reason):
    with pytest.raises(deal_services.MoveRefused, match="not a reason"):
        deal_services.opportunity_move_stage(
            actor=rep, opportunity=deal, to_stage=stages["Won"], reason=reason["lost"]
        )
    with pytest.raises(deal_services.MoveRefused, match="only when"):
        deal_services.opportunity_move_stage(
            actor=rep, opportunity=deal, to_stage=stages["Evaluation"], reason=reason["lost"]
        )


def test_disqualifying_is_a_loss_with_a_disqualified_reason(rep, deal, stages, reason):
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Lost"], reason=reason["disqualified"]
    )
    deal.refresh_from_db()
    assert deal.is_closed
    assert deal.close_reason.kind == "disqualified"
    assert StageChange.objects.filter(opportunity=deal).latest().reason == reason["disqualified"]


def test_reopening_a_closed_deal_clears_its_close(rep, deal, stages, reason):
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Won"], reason=reason["won"]
    )
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Decision"])
    deal.refresh_from_db()
    assert (deal.closed_at, deal.close_reason) == (None, None)


def test_a_stage_of_another_pipeline_is_refused(rep, deal):
    other = Pipeline.objects.create(name="Schools")
    elsewhere = Stage.objects.create(pipeline=other, name="Term planning", probability=10)
    with pytest.raises(deal_services.MoveRefused, match="another pipeline"):
        deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=elsewhere)
    assert StageChange.objects.filter(opportunity=deal).count() == 1


def test_a_move_from_a_stale_stage_changes_nothing(rep, deal, stages):
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Evaluation"])
    stale = Opportunity.objects.get(pk=deal.pk)
    with pytest.raises(
        deal_services.MoveRefused, match="moved this deal meanwhile: it is now in Evaluation"
    ):
        deal_services.opportunity_move_stage(
            actor=rep,
            opportunity=stale,
            to_stage=stages["Decision"],
            from_stage=stages["Qualified"],
        )
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["Evaluation"]
    assert StageChange.objects.filter(opportunity=deal).count() == 2


def test_teammates_cannot_move_a_reps_deal_but_the_manager_can(
    rep, teammate, manager, deal, stages
):
    with pytest.raises(deal_services.MoveRefused, match="read-only"):
        deal_services.opportunity_move_stage(
            actor=teammate, opportunity=deal, to_stage=stages["Lead"]
        )
    deal_services.opportunity_move_stage(actor=manager, opportunity=deal, to_stage=stages["Lead"])
    assert StageChange.objects.filter(opportunity=deal).latest().by == manager


def test_time_in_stage_comes_from_the_history(rep, deal, stages):
    entered = timezone.now() - timedelta(days=9)
    StageChange.objects.filter(opportunity=deal).update(at=entered)
    activity = deal_selectors.opportunity_activity(opportunity=deal)
    assert activity["stage_entered_at"] == entered
    history = deal_selectors.stage_history(opportunity=deal)
    assert history[0].left_at is None  # still there
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Evaluation"])
    history = deal_selectors.stage_history(opportunity=deal)
    assert history[1].to_stage == stages["Qualified"]
    assert (history[1].left_at - history[1].at).days == 9


def test_renaming_and_reordering_stages_keeps_deals_and_history(rep, deal, stages):
    qualified = stages["Qualified"]
    qualified.name, qualified.position = "Qualified (problem found)", 9
    qualified.save()
    deal.refresh_from_db()
    assert deal.stage.name == "Qualified (problem found)"
    change = StageChange.objects.get(opportunity=deal)
    assert change.to_stage.name == "Qualified (problem found)"


def test_update_changes_fields_but_never_the_stage(rep, deal):
    deal_services.opportunity_update(actor=rep, opportunity=deal, value=5, next_step="Call Helen")
    deal.refresh_from_db()
    assert (deal.value, deal.next_step) == (5, "Call Helen")
    with pytest.raises(TypeError):
        deal_services.opportunity_update(actor=rep, opportunity=deal, stage=deal.stage)


def test_teammates_cannot_update_a_reps_deal(teammate, deal):
    with pytest.raises(ValidationError, match="read-only"):
        deal_services.opportunity_update(actor=teammate, opportunity=deal, value=1)


def test_a_specialist_is_refused_until_the_deal_is_qualified(rep, deal, log_yes):
    with pytest.raises(ValidationError, match="Not qualified yet"):
        deal_services.opportunity_request_specialist(actor=rep, opportunity=deal)
    log_yes(deal.account)
    deal.refresh_from_db()
    deal_services.opportunity_request_specialist(actor=rep, opportunity=deal)
    deal.refresh_from_db()
    assert deal.specialist_requested_by == rep
    with pytest.raises(ValidationError, match="already requested"):
        deal_services.opportunity_request_specialist(actor=rep, opportunity=deal)


def test_a_manager_may_vouch_for_a_deal_with_a_note(rep, teammate, manager, deal):
    with pytest.raises(ValidationError):
        deal_services.opportunity_override_specialist(actor=rep, opportunity=deal, note="Trust me")
    with pytest.raises(ValidationError):
        deal_services.opportunity_override_specialist(actor=manager, opportunity=deal, note="   ")
    deal_services.opportunity_override_specialist(
        actor=manager, opportunity=deal, note="Board already approved the budget"
    )
    deal.refresh_from_db()
    assert deal_selectors.is_qualified_for_specialist(opportunity=deal)
    deal_services.opportunity_request_specialist(actor=rep, opportunity=deal)


def test_merging_accounts_moves_their_deals(rep, deal):
    survivor = AccountFactory(owner=rep, name="St Brigid's (duplicate)")
    merge_services.account_merge(actor=rep, survivor=survivor, duplicate=deal.account, values={})
    deal.refresh_from_db()
    assert deal.account == survivor
    assert StageChange.objects.filter(opportunity=deal).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_moving_the_same_card_at_once_one_wins_one_is_told(
    rep, manager, standard, stages, open_deal
):
    import threading

    from django.db import connection

    deal = open_deal(rep, "Qualified")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def drag(actor, target):
        try:
            barrier.wait(timeout=10)
            deal_services.opportunity_move_stage(
                actor=actor,
                opportunity=Opportunity.objects.get(pk=deal.pk),
                to_stage=stages[target],
                from_stage=stages["Qualified"],
            )
            outcomes[target] = "moved"
        except deal_services.MoveRefused as refusal:
            outcomes[target] = refusal.messages[0]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=drag, args=(rep, "Solution development")),
        threading.Thread(target=drag, args=(manager, "Evaluation")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    assert list(outcomes.values()).count("moved") == 1
    winner = next(target for target, outcome in outcomes.items() if outcome == "moved")
    loser = next(target for target in outcomes if target != winner)
    assert f"it is now in {winner}" in str(outcomes[loser])
    deal.refresh_from_db()
    assert deal.stage == stages[winner]
    history = list(StageChange.objects.filter(opportunity=deal).order_by("at", "pk"))
    assert [(c.from_stage, c.to_stage) for c in history] == [
        (None, stages["Qualified"]),
        (stages["Qualified"], stages[winner]),
    ]


def test_nobody_vouches_for_a_closed_deal(manager, deal, stages, reason):
    deal_services.opportunity_move_stage(
        actor=manager, opportunity=deal, to_stage=stages["Lost"], reason=reason["lost"]
    )
    with pytest.raises(ValidationError, match="closed"):
        deal_services.opportunity_override_specialist(
            actor=manager, opportunity=deal, note="Still keen"
        )
