"""The stage-history facts kept beside each deal for the dashboard (pipeline.deals.flow)."""

from __future__ import annotations

import pytest

from pipeline.deals import flow
from pipeline.deals import services as deal_services
from pipeline.deals.models import Opportunity, StageChange

pytestmark = pytest.mark.django_db


def test_moves_keep_each_stay_end_the_furthest_stage_and_the_qualification(
    rep, open_deal, stages, reason, log_yes
):
    deal = open_deal(rep, "Lead")
    deal.refresh_from_db()
    assert (deal.furthest_rank, deal.qualified_at) == (0, None)
    log_yes(deal.account)  # three yeses before the deal is qualified
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Evaluation"])
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Qualified"])
    deal.refresh_from_db()
    history = list(StageChange.objects.filter(opportunity=deal).order_by("at", "pk"))
    assert [change.left_at for change in history] == [history[1].at, history[2].at, None]
    assert deal.furthest_rank == stages["Evaluation"].position  # going back keeps the furthest
    assert deal.qualified_at == history[1].at  # the first move on, not the move back
    assert (deal.qualified_has_problem, deal.qualified_ready_to_act) == ("yes", "yes")
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Won"], reason=reason["won"]
    )
    deal.refresh_from_db()
    assert deal.furthest_rank == flow.WON_RANK


def test_a_deal_lost_straight_from_its_first_stage_was_never_qualified(
    rep, open_deal, stages, reason
):
    deal = open_deal(rep, "Lead")
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Lost"], reason=reason["lost"]
    )
    deal.refresh_from_db()
    assert (deal.furthest_rank, deal.qualified_at, deal.qualified_has_problem) == (0, None, "")


def test_refresh_rebuilds_what_was_lost_from_the_history(rep, open_deal, stages):
    """What the migration and bulk loads rely on: the facts follow from the history alone."""
    deal = open_deal(rep, "Lead")
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Decision"])
    other = open_deal(rep, "Qualified")
    kept = Opportunity.objects.values_list("furthest_rank", "qualified_at").get(pk=other.pk)
    StageChange.objects.update(left_at=None)
    Opportunity.objects.update(furthest_rank=None, qualified_at=None)
    flow.refresh(Opportunity, StageChange, ids=[deal.pk])
    deal.refresh_from_db()
    assert deal.furthest_rank == stages["Decision"].position
    assert deal.qualified_at is not None
    assert StageChange.objects.filter(opportunity=deal, left_at__isnull=False).count() == 1
    assert Opportunity.objects.get(pk=other.pk).furthest_rank is None  # only the ids asked for
    flow.refresh(Opportunity, StageChange)
    assert Opportunity.objects.values_list("furthest_rank", "qualified_at").get(pk=other.pk) == kept
