from __future__ import annotations

import zoneinfo
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from pipeline.deals import selectors as deal_selectors
from pipeline.deals.models import Opportunity, Stage
from pipeline.followups import patience
from pipeline.followups.models import FollowUp
from salesflow.core.models import Notification, User

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_every_stage_with_some_stuck_deals(standard):
    call_command("seed_demo", force=True, stdout=StringIO())
    open_stages = set(standard.stages.filter(outcome="open").values_list("pk", flat=True))
    deals = Opportunity.objects.filter(closed_at__isnull=True)
    assert set(deals.values_list("stage_id", flat=True)) == open_stages
    assert Opportunity.objects.filter(stage__outcome=Stage.Outcome.WON).exists()
    assert Opportunity.objects.filter(stage__outcome=Stage.Outcome.LOST).exists()
    stuck = deal_selectors.stuck_opportunities(Opportunity.objects.all())
    assert stuck.count() >= 3
    ana = User.objects.get(username="ana")
    assert deal_selectors.stuck_for_owner(user=ana)[
        0
    ].why_text  # her stuck deal has a why to revisit
    assert Notification.objects.filter(kind="stuck_deal").count() == stuck.count()
    # Most open deals have a believable SOE: some slipping, some received lukewarm.
    from django.utils import timezone

    from pipeline.soe.models import Sequence as SoeSequence
    from pipeline.soe.models import SoeStep

    assert SoeSequence.objects.count() > deals.count() / 2
    slipped = SoeStep.objects.filter(status="open", target_date__lt=timezone.localdate())
    assert slipped.exists()
    assert SoeSequence.objects.filter(reception="lukewarm").exists()
    assert SoeStep.objects.filter(status="done").exists()
    # Follow-ups in every state; one surfaces within minutes of the demo starting.
    from datetime import timedelta

    from pipeline.followups.models import FollowUp

    states = set(FollowUp.objects.values_list("status", flat=True))
    assert {"held", "surfaced", "done"} <= states
    soon = timezone.now() + timedelta(minutes=10)
    assert FollowUp.objects.filter(status="held", surface_at__lte=soon).exists()
    count = (Opportunity.objects.count(), SoeStep.objects.count())
    call_command("seed_demo", force=True, stdout=StringIO())
    assert (Opportunity.objects.count(), SoeStep.objects.count()) == count


def test_seed_demo_gives_every_dashboard_figure_a_past(standard):
    """Closed deals over six quarters: the manager's dashboard has something in every table,
    and the velocity trend a point in most months."""
    from pipeline.dashboard import coaching, snapshot
    from pipeline.dashboard.figures import segments, soe_health, velocity_trend
    from pipeline.dashboard.scope import Scope

    call_command("seed_demo", force=True, stdout=StringIO())
    closed = Opportunity.objects.filter(closed_at__isnull=False)
    quarters = {
        (day.year, (day.month - 1) // 3) for day in closed.values_list("closed_at", flat=True)
    }
    assert len(quarters) >= 5
    scope = Scope(user=User.objects.get(username="maria"))
    for name, figures in snapshot.FIGURES.items():
        assert figures(scope), f"{name} is empty"
    months = [row for row in velocity_trend(scope) if row["velocity"] is not None]
    assert len(months) >= 8
    assert {row["segment"] for row in segments(scope)} == {
        "Hospitals",
        "Manufacturers",
        "Schools",
    }
    assert soe_health(scope)["with_soe"] > 10
    assert any(row["happy_ears"] for row in coaching.coaching(scope))


def test_seed_demo_accounts_with_a_won_deal_are_customers_since_they_won(standard):
    from prospects.models import Account, AccountEvent

    call_command("seed_demo", force=True, stdout=StringIO())
    won = Opportunity.objects.filter(stage__outcome=Stage.Outcome.WON)
    assert won.filter(account__name="Greenfield College").exists()
    customers = set(Account.objects.filter(status="customer").values_list("pk", flat=True))
    assert customers == set(won.values_list("account_id", flat=True))
    for deal in won.select_related("account"):
        event = AccountEvent.objects.get(account=deal.account, kind="status")
        assert event.summary == f"Prospect → Customer: won “{deal.name}”"
        assert event.occurred_at == deal.closed_at  # when it was won, not when seeded


def test_the_demos_holds_of_days_end_on_a_business_morning(standard):
    """Only the follow-up the worker is meant to be seen surfacing ends minutes away; every
    other hold ends as the patience rules end holds."""
    call_command("seed_demo", force=True, stdout=StringIO())
    soon = timezone.now() + timedelta(hours=1)
    for follow_up in FollowUp.objects.filter(status="held", surface_at__gt=soon):
        local = timezone.localtime(
            follow_up.surface_at, zoneinfo.ZoneInfo(follow_up.owner.time_zone)
        )
        assert local.hour == settings.SALESFLOW_BUSINESS_MORNING_HOUR, follow_up
        assert local.minute == 0
        assert patience.is_business_day(local.date())
