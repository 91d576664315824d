"""The dashboard's small histories: a book of open deals (the pipeline now), and on
`history` (see tests/pipeline/conftest.py) SOEs and follow-ups, over a period of January
to June 2026."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pipeline.dashboard.scope import DashboardFilters, Scope
from pipeline.deals import services as deal_services
from pipeline.followups.models import FollowUp
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeStep
from prospects.models import Account, Conversation
from tests.factories import AccountFactory
from tests.pipeline.conftest import at

PERIOD = {"start": date(2026, 1, 1), "end": date(2026, 6, 30)}


@pytest.fixture
def book(rep, teammate, outsider, standard, stages, reason):
    """Four open deals of the team, one won, and one of another team."""

    def deal(owner, stage, value, closes, currency="EUR"):
        opportunity = deal_services.opportunity_create(
            actor=owner,
            account=AccountFactory(owner=owner),
            name=f"{stage} {value}",
            owner=owner,
            value=Decimal(value),
            currency=currency,
            expected_close_date=closes,
            pipeline=standard,
            stage=stages["Lead"],
        )
        if stage != "Lead":
            deal_services.opportunity_move_stage(
                actor=owner,
                opportunity=opportunity,
                to_stage=stages[stage],
                reason=reason["won"] if stage == "Won" else None,
            )
        return opportunity

    return [
        deal(rep, "Lead", 1000, date(2027, 1, 15)),  # 10% → 100
        deal(rep, "Evaluation", 2000, date(2027, 1, 20)),  # 70% → 1400
        deal(teammate, "Decision", 4000, date(2027, 4, 2)),  # 85% → 3400
        deal(teammate, "Qualified", 500, None, currency="GBP"),  # 25% → 125
        deal(rep, "Won", 9000, date(2026, 12, 1)),  # closed: not in "pipeline now"
        deal(outsider, "Decision", 7777, date(2027, 1, 1)),  # another team
    ]


def forecast_scope(user, **filters):
    """The user's scope with these filters only: the pipeline now reads no period."""
    return Scope(user=user, filters=DashboardFilters(**filters))


def scope(user, **filters):
    """The user's scope over PERIOD, with these filters."""
    return Scope(user=user, filters=DashboardFilters(**{**PERIOD, **filters}))


@pytest.fixture
def soe(history):
    """A keen SOE on A, declined on C, lukewarm on F with one step late and one moved later;
    H's prospect received theirs keenly and said yes to all three questions."""
    today = timezone.localdate()
    SoeSequence.objects.create(opportunity=history["A"], reception="keen")
    SoeSequence.objects.create(opportunity=history["C"], reception="declined")
    f = SoeSequence.objects.create(opportunity=history["F"], reception="lukewarm")
    late = today - timedelta(days=5)
    SoeStep.objects.create(
        sequence=f, position=0, text="Visit", target_date=late, first_target_date=late
    )
    SoeStep.objects.create(
        sequence=f,
        position=1,
        text="Pilot",
        target_date=today + timedelta(days=10),
        first_target_date=today + timedelta(days=2),
    )
    SoeSequence.objects.create(opportunity=history["H"], reception="keen")
    Account.objects.filter(pk=history["H"].account_id).update(
        has_problem="yes", accepts_significance="yes", ready_to_act="yes"
    )
    return history


@pytest.fixture
def follow_ups(rep, history):
    account = history["F"].account

    def follow_up(**fields):
        return FollowUp.objects.create(
            account=account, owner=rep, purpose="Check in", surface_at=at(4, 1), **fields
        )

    follow_up(
        status="done", surfaced_at=at(4, 1), closed_at=at(4, 2), surfaced_early_reason="They asked"
    )
    follow_up(status="dismissed", closed_at=at(4, 3), dismissed_reason="Not needed")
    follow_up(status="surfaced", surfaced_at=at(5, 1))
    follow_up(status="surfaced", surfaced_at=at(8, 1))  # after the period
    for when in (at(2, 1), at(3, 1), at(9, 1)):
        Conversation.objects.create(
            account=account, logged_by=rep, occurred_at=when, channel="call", kind="qualifying"
        )
