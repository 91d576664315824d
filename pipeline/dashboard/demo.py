"""Six quarters of closed demo deals, so the dashboard has a past to measure."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from pipeline.deals import flow
from pipeline.deals import services as deal_services
from pipeline.deals.demo import backdate_status_change
from pipeline.deals.models import CloseReason, Opportunity, Pipeline, StageChange
from pipeline.followups.models import FollowUp
from pipeline.soe.models import Sequence as SoeSequence
from prospects import services as prospect_services
from prospects.models import (
    Account,
    Contact,
    Conversation,
    LeadSource,
    Segment,
)
from salesflow.core.models import User

HISTORY_PLACES = [
    "Ashford",
    "Bramley",
    "Calder",
    "Dunmore",
    "Elmstead",
    "Fairholme",
    "Glenbrook",
    "Hartwell",
    "Ivybridge",
    "Kingsmere",
    "Langley",
    "Millbrook",
    "Northwick",
    "Oakhurst",
    "Pendle",
    "Redbourne",
    "Southam",
    "Thornbury",
    "Upton",
    "Whitcombe",
]
HISTORY_KINDS = {
    # segment: (account name pattern, deal, value range in EUR)
    "Hospitals": ("{} General Hospital", "Theatre scheduling", (20_000, 90_000)),
    "Schools": ("{} Academy", "Parent messaging", (4_000, 18_000)),
    "Manufacturers": ("{} Engineering", "Line monitoring", (12_000, 60_000)),
}
# How long deals usually stay in each open stage (days, from and to).
HISTORY_STAYS = {
    "Lead": (3, 18),
    "Qualified": (5, 25),
    "Solution development": (7, 35),
    "Evaluation": (10, 40),
    "Decision": (4, 20),
}
HISTORY_DAYS = 540  # about six quarters
HISTORY_FIRST = ["Amira", "Callum", "Dana", "Femi", "Grace", "Hugo", "Lena", "Owen", "Rosa"]
HISTORY_LAST = ["Bryant", "Costa", "Fraser", "Iqbal", "Lowe", "Moreau", "Quinn", "Varga"]
HISTORY_TITLES = {
    "Hospitals": "Head of Operations",
    "Schools": "Business Manager",
    "Manufacturers": "Plant Manager",
}
HISTORY_PURPOSES = [
    "Hear how the conversation landed with the rest of their team",
    "Learn what their finance lead made of the numbers",
    "Find out whether the pilot dates still suit them",
]
HISTORY_EARLY = [
    "They asked us to call before their board met",
    "Their budget window closes this week",
    "A competitor was in on Monday",
]
# What the conversation after each move was about.
HISTORY_TALKS = [
    "initial_outreach",
    "qualifying",
    "solution_development",
    "evaluation_check_in",
    "decision",
]


def seed_history(*, now: datetime | None = None, seed: int = 2026) -> int:
    """Closed deals over the last six quarters, each with its moves, the prospect's answers
    when it was qualified, often an SOE and its reception, a conversation or two and a
    follow-up: enough for every dashboard figure to say something. Deterministic; skipped
    once its accounts exist. Returns how many deals it added."""
    now = now or timezone.now()
    pipeline = Pipeline.objects.filter(is_default=True).first()
    owners = {
        user.username: user for user in User.objects.filter(username__in=["ana", "ben", "chloe"])
    }
    if pipeline is None or len(owners) < 3:
        return 0
    stages = {stage.name: stage for stage in pipeline.stages.all()}
    if any(name not in stages for name in [*HISTORY_STAYS, "Won", "Lost"]):
        return 0  # sales ops reshaped the pipeline; leave it alone
    if Account.objects.filter(
        name=HISTORY_KINDS["Hospitals"][0].format(HISTORY_PLACES[0])
    ).exists():
        return 0
    rng = random.Random(seed)
    sources = list(LeadSource.objects.order_by("name"))
    reasons = {
        kind: list(CloseReason.objects.filter(kind=kind, active=True))
        for kind in CloseReason.Kind.values
    }
    order = list(HISTORY_STAYS)
    added = 0
    for segment_name, (pattern, deal_name, (low, high)) in HISTORY_KINDS.items():
        segment = Segment.objects.filter(name=segment_name).first()
        for place in HISTORY_PLACES:
            owner = owners[rng.choices(["ana", "ben", "chloe"], weights=[5, 3, 2])[0]]
            opened = now - timedelta(days=rng.randint(60, HISTORY_DAYS))
            account = prospect_services.account_create(
                actor=owner,
                name=pattern.format(place),
                owner=owner,
                segment=segment,
                lead_source=rng.choice(sources) if sources else None,
            )
            prospect_services.contact_save(
                actor=owner,
                contact=Contact(
                    account=account,
                    name=f"{rng.choice(HISTORY_FIRST)} {rng.choice(HISTORY_LAST)}",
                    title=HISTORY_TITLES[segment_name],
                ),
            )
            # A prospect who says yes to all three questions tends to buy: the readiness
            # table should show it.
            answers = rng.choices(["yes", "no", "unknown"], weights=[8, 1, 1], k=3)
            ready = answers == ["yes", "yes", "yes"]
            # Where the deal ends: its furthest open stage, and won, lost or disqualified.
            weights = [1, 1, 2, 2, 6] if ready else [3, 3, 2, 2, 3]
            furthest = rng.choices(range(len(order)), weights=weights)[0]
            if furthest <= 1 and rng.random() < 0.4:
                outcome = "disqualified"
            elif furthest == len(order) - 1 and rng.random() < (0.85 if ready else 0.4):
                outcome = "won"
            else:
                outcome = "lost"
            path = [
                name
                for name in order[: furthest + 1]
                if not (name == "Solution development" and rng.random() < 0.15 and furthest > 2)
            ]
            path.append({"won": "Won"}.get(outcome, "Lost"))
            when, moves = opened, []
            for name in path:
                moves.append((name, when))
                if name in HISTORY_STAYS:
                    when += timedelta(
                        days=rng.randint(*HISTORY_STAYS[name]), hours=rng.randint(0, 8)
                    )
            if moves[-1][1] > now - timedelta(days=2):
                continue  # would close in the future: the open deals are curated above
            opportunity = deal_services.opportunity_create(
                actor=owner,
                account=account,
                name=deal_name,
                owner=owner,
                value=Decimal(rng.randrange(low, high, 500)),
                expected_close_date=moves[-1][1].date(),
                pipeline=pipeline,
                stage=stages["Lead"],
            )
            for name, _ in moves[1:]:
                kind = outcome if name in {"Won", "Lost"} else None
                deal_services.opportunity_move_stage(
                    actor=owner,
                    opportunity=opportunity,
                    to_stage=stages[name],
                    reason=rng.choice(reasons[kind]) if kind and reasons[kind] else None,
                )
            changes = list(opportunity.stage_changes.order_by("at", "pk"))
            for index, (change, (_, at)) in enumerate(zip(changes, moves, strict=True)):
                fields = {"at": at}
                if index == 1:  # the snapshot when the deal was qualified
                    fields.update(
                        zip(
                            ("has_problem", "accepts_significance", "ready_to_act"),
                            answers,
                            strict=True,
                        )
                    )
                StageChange.objects.filter(pk=change.pk).update(**fields)
            Opportunity.objects.filter(pk=opportunity.pk).update(
                created_at=opened, closed_at=moves[-1][1]
            )
            backdate_status_change(account, moves[-1][1])
            flow.refresh(Opportunity, StageChange, ids=[opportunity.pk])  # the history moved
            Account.objects.filter(pk=account.pk).update(
                created_at=opened - timedelta(days=rng.randint(0, 20))
            )
            _history_extras(opportunity, moves, outcome=outcome, ready=ready, rng=rng)
            added += 1
    return added


def _history_extras(
    opportunity: Opportunity,
    moves: list[tuple[str, datetime]],
    *,
    outcome: str,
    ready: bool,
    rng: random.Random,
) -> None:
    """A historical deal's conversations, its SOE and reception, and a follow-up."""
    owner, account = opportunity.owner, opportunity.account
    Conversation.objects.bulk_create(
        Conversation(
            account=account,
            logged_by=owner,
            occurred_at=at + timedelta(hours=2),
            channel=rng.choice(["call", "meeting", "email"]),
            kind=stage_kind,
            notes="",
        )
        for (_, at), stage_kind in zip(moves[:-1], HISTORY_TALKS, strict=False)
    )
    if len(moves) > 3 and rng.random() < 0.7:
        keen = 0.75 if outcome == "won" else 0.3
        reception = rng.choices(
            ["keen", "lukewarm", "declined"], weights=[keen, (1 - keen) * 0.6, (1 - keen) * 0.4]
        )[0]
        SoeSequence.objects.create(
            opportunity=opportunity, reception=reception, reception_at=moves[2][1]
        )
    surfaced = moves[1][1] + timedelta(days=3)
    early = rng.random() < 0.15
    done = rng.random() < 0.8
    FollowUp.objects.create(
        account=account,
        opportunity=opportunity,
        owner=owner,
        purpose=rng.choice(HISTORY_PURPOSES),
        surface_at=surfaced + (timedelta(days=2) if early else timedelta(0)),
        surfaced_at=surfaced,
        surfaced_early_reason=rng.choice(HISTORY_EARLY) if early else "",
        status=FollowUp.Status.DONE if done else FollowUp.Status.DISMISSED,
        dismissed_reason="" if done else "They wrote first",
        closed_at=surfaced + timedelta(days=1),
    )
