from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from pipeline import selectors
from pipeline.models import Opportunity, Stage
from salesflow.core.models import Notification, User

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_every_stage_with_some_stuck_deals(standard):
    call_command("seed_demo", force=True, stdout=StringIO())
    open_stages = set(standard.stages.filter(outcome="open").values_list("pk", flat=True))
    deals = Opportunity.objects.filter(closed_at__isnull=True)
    assert set(deals.values_list("stage_id", flat=True)) == open_stages
    assert Opportunity.objects.filter(stage__outcome=Stage.Outcome.WON).count() == 1
    assert Opportunity.objects.filter(stage__outcome=Stage.Outcome.LOST).count() == 1
    stuck = selectors.stuck_opportunities(Opportunity.objects.all())
    assert stuck.count() >= 3
    ana = User.objects.get(username="ana")
    assert selectors.stuck_for_owner(user=ana)[0].why_text  # her stuck deal has a why to revisit
    assert Notification.objects.filter(kind="stuck_deal").count() == stuck.count()
    # Most open deals have a believable SOE: some slipping, some received lukewarm.
    from django.utils import timezone

    from pipeline.models import Sequence, SoeStep

    assert Sequence.objects.count() > deals.count() / 2
    slipped = SoeStep.objects.filter(status="open", target_date__lt=timezone.localdate())
    assert slipped.exists()
    assert Sequence.objects.filter(reception="lukewarm").exists()
    assert SoeStep.objects.filter(status="done").exists()
    # Follow-ups in every state; one surfaces within minutes of the demo starting.
    from datetime import timedelta

    from pipeline.models import FollowUp

    states = set(FollowUp.objects.values_list("status", flat=True))
    assert {"held", "surfaced", "done"} <= states
    soon = timezone.now() + timedelta(minutes=10)
    assert FollowUp.objects.filter(status="held", surface_at__lte=soon).exists()
    count = (Opportunity.objects.count(), SoeStep.objects.count())
    call_command("seed_demo", force=True, stdout=StringIO())
    assert (Opportunity.objects.count(), SoeStep.objects.count()) == count
