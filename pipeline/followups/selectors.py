"""Reads for follow-ups: what is due, what is held and why, what waits for the manager's
approval. Who may open, change or approve one is pipeline.followups.access."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone

from pipeline.deals.selectors import as_flag, current_why_text
from pipeline.followups.models import FollowUp
from prospects.models import (
    Account,
)
from salesflow.core.models import User

# --- Follow-ups ---------------------------------------------------------------------------

# Held, and not waiting for (or sent back by) the manager's approval: free to surface. A
# team that stops asking for approval releases what was waiting for it.
FOLLOWUP_MAY_SURFACE = Q(status=FollowUp.Status.HELD) & (
    Q(review__in=[FollowUp.Approval.NONE, FollowUp.Approval.APPROVED])
    | Q(owner__team__isnull=True)
    | Q(owner__team__review_followups=False)
)
# Held for the manager's approval (waiting for it, or sent back for rework), in a team that
# still asks for it: the other side of FOLLOWUP_MAY_SURFACE, never a rule of its own.
FOLLOWUP_AWAITING_APPROVAL = Q(status=FollowUp.Status.HELD) & ~FOLLOWUP_MAY_SURFACE


def followup_surfaces_condition(*, now: datetime) -> Q:
    """Held, free to surface and its time come: what the sweep surfaces now."""
    return FOLLOWUP_MAY_SURFACE & Q(surface_at__lte=now)


def followup_due_condition(*, now: datetime) -> Q:
    """THE rule for a due follow-up, the one the rep acts on now: surfaced, or held past its
    time with no approval in its way (the sweep may not have run yet: due is read from the
    database, never from the queue). The sweep surfaces the held part; Today, the
    follow-up and account pages, and marking done read all of it."""
    return Q(status=FollowUp.Status.SURFACED) | followup_surfaces_condition(now=now)


def with_due(follow_ups: QuerySet[FollowUp], *, now: datetime | None = None) -> QuerySet[FollowUp]:
    """Each follow-up with `is_due` and `awaiting_approval` (held for the manager's
    approval), for pages that show them: worked out by the same rules as the sweep, in the
    same query."""
    now = now or timezone.now()
    return follow_ups.annotate(
        is_due=as_flag(followup_due_condition(now=now)),
        awaiting_approval=as_flag(FOLLOWUP_AWAITING_APPROVAL),
    )


TODAY_FOLLOWUPS = 50


def followups_due(*, user: User, now: datetime | None = None) -> list[FollowUp]:
    """The user's Today list: the follow-ups due (followup_due_condition), surfaced ones and
    held ones whose time has come, so the list is right even before the sweep has run."""
    now = now or timezone.now()
    mine = FollowUp.objects.filter(owner=user)
    surfaced = mine.filter(status=FollowUp.Status.SURFACED)
    due = mine.filter(followup_surfaces_condition(now=now))
    if connection.features.supports_slicing_ordering_in_compound:
        # The first 50 of each kind, each read in order from the (owner, status, surface_at)
        # index, then the first 50 of those: a rep who leaves thousands of surfaced
        # follow-ups undone does not have all of them sorted at every visit.
        first = [
            part.order_by("surface_at", "pk").values("pk")[:TODAY_FOLLOWUPS]
            for part in (surfaced, due)
        ]
        wanted = FollowUp.objects.filter(pk__in=first[0].union(first[1], all=True))
    else:
        wanted = surfaced | due
    return list(
        wanted.select_related("account", "opportunity")
        .annotate(why_text=current_why_text())
        .order_by("surface_at", "pk")[:TODAY_FOLLOWUPS]
    )


def followups_held(*, user: User, now: datetime | None = None, limit: int = 20) -> list[FollowUp]:
    """Held back: held and not due (still waiting for their time, or for the manager's
    approval, or sent back for rework), with whether the approval still stands in the way."""
    now = now or timezone.now()
    return list(
        FollowUp.objects.filter(
            ~followup_surfaces_condition(now=now), owner=user, status=FollowUp.Status.HELD
        )
        .annotate(awaiting_approval=as_flag(FOLLOWUP_AWAITING_APPROVAL))
        .select_related("account", "opportunity")
        .order_by("surface_at", "pk")[:limit]
    )


def followups_to_approve(*, user: User, limit: int = 20) -> list[FollowUp]:
    """Drafts waiting for the manager's approval in their team, soonest due first."""
    if not user.is_manager_of(user.team_id):
        return []
    return list(
        FollowUp.objects.filter(
            FOLLOWUP_AWAITING_APPROVAL,
            owner__team_id=user.team_id,
            review=FollowUp.Approval.PENDING,
        )
        .select_related("account", "owner")
        .order_by("surface_at", "pk")[:limit]
    )


def patience_broken(*, user: User, limit: int = 20) -> list[FollowUp]:
    """Follow-ups the team surfaced early on purpose, with their reasons, newest first."""
    if not user.is_manager_of(user.team_id):
        return []
    return list(
        FollowUp.objects.filter(owner__team_id=user.team_id)
        .exclude(surfaced_early_reason="")
        .select_related("account", "owner")
        .order_by("-surfaced_at", "-pk")[:limit]
    )


def account_followups(*, account: Account, limit: int = 10) -> QuerySet[FollowUp]:
    """The account's follow-ups still open (held or surfaced), soonest first, each with
    `is_due` and `awaiting_approval` (with_due)."""
    return with_due(
        FollowUp.objects.filter(
            account=account, status__in=[FollowUp.Status.HELD, FollowUp.Status.SURFACED]
        )
    ).order_by("surface_at", "pk")[:limit]
