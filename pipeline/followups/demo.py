"""Demo follow-ups: held, surfaced and done, one surfacing a few minutes after the demo
starts so the worker can be seen doing it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from pipeline.deals.models import Opportunity
from pipeline.followups import patience
from pipeline.followups import services as followup_services
from pipeline.followups import sweep as followup_sweep
from pipeline.followups.models import FollowUp, FollowUpEvent
from prospects.models import (
    Account,
)

# account, purpose, draft, minutes from now it may surface (negative: already), state
FOLLOW_UPS = [
    (
        "St Brigid's Hospital",
        "Hear whether the pilot wards are still the right ones",
        "Helen — after Thursday's walk round, are the two wards still the ones you would pick?",
        3,
        "held",
    ),
    (
        "Copperleaf Bakery",
        "Find out who else loses a shift when the line stops",
        "Sam, you mentioned the night team feels it most. Could we ask them?",
        60 * 24 * 2,
        "held",
    ),
    (
        "Hillside Primary",
        "Ask whether the parent messages still go missing",
        "",
        -60 * 5,
        "surfaced",
    ),
    (
        "Linden Care Group",
        "Confirm who signs off the rota change",
        "",
        -60 * 24 * 3,
        "done",
    ),
]


def seed_followups(*, now: datetime | None = None) -> int:
    """Held, surfaced and done follow-ups for the demo; one surfaces a few minutes after
    the demo starts, so the worker can be seen doing it."""
    now = now or timezone.now()
    added = 0
    for account_name, purpose, draft, minutes, state in FOLLOW_UPS:
        account = Account.objects.filter(name=account_name).select_related("owner").first()
        if account is None or FollowUp.objects.filter(account=account, purpose=purpose).exists():
            continue
        deal = Opportunity.objects.filter(account=account, closed_at__isnull=True).first()
        follow_up = followup_services.followup_create(
            actor=account.owner, account=account, opportunity=deal, purpose=purpose, draft=draft
        )
        until = now + timedelta(minutes=minutes)
        if minutes >= 60 * 24:
            # A hold of days ends on a business morning, like every hold the rules make; only
            # the one the worker is meant to be seen surfacing ends minutes from now.
            until = patience.business_morning(
                until, time_zone=account.owner.time_zone, strictly_after=False
            )
        FollowUp.objects.filter(pk=follow_up.pk).update(
            surface_at=until,
            holds=[
                {
                    "rule": "after_conversation",
                    "until": until.isoformat(),
                    "why": "let the solution call sink in",
                }
            ]
            if minutes > 0
            else follow_up.holds,
        )
        if minutes > 0:
            FollowUpEvent.objects.filter(follow_up=follow_up, action="held").update(
                note="let the solution call sink in"
            )
        if state in {"surfaced", "done"}:
            followup_sweep.followups_surface_due(now=now)
        if state == "done":
            follow_up.refresh_from_db()
            followup_services.followup_done(actor=account.owner, follow_up=follow_up)
        added += 1
    return added
