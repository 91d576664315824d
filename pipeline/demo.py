"""Demo deals for seed_demo: every stage of the default pipeline holds some, a few are stuck."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from pipeline.deals import flow
from pipeline.deals import services as deal_services
from pipeline.deals.models import CloseReason, Opportunity, Pipeline, StageChange
from pipeline.followups import patience
from pipeline.followups import services as followup_services
from pipeline.followups import sweep as followup_sweep
from pipeline.followups.models import FollowUp, FollowUpEvent
from pipeline.soe import services as soe_services
from pipeline.soe.models import Sequence, SoeChange, SoeStep, SoeTemplate, SoeTemplateStep, StepKind
from prospects import services as prospect_services
from prospects.models import (
    Account,
    AccountEvent,
    Contact,
    Conversation,
    LeadSource,
    Segment,
)
from salesflow.core.models import User

# Accounts that exist only for their deals: no conversations yet, so they go quiet.
EXTRA_ACCOUNTS = [
    # name, segment, lead source, owner, first contact (name, title)
    ("Harbourview Clinic", "Hospitals", "Outbound", "ana", ("Priya Nair", "Practice Manager")),
    ("Oakfield School", "Schools", "Webinar", "ben", ("Mark Ellis", "Business Manager")),
    ("Meridian Plastics", "Manufacturers", "Trade show", "chloe", ("Jo Baptiste", "Plant Lead")),
    ("Westmoor Hospital", "Hospitals", "Referral", "ben", ("Dr Anna Kowal", "Theatre Lead")),
    ("Copperleaf Bakery", "Manufacturers", "Referral", "ana", ("Sam Osei", "Operations")),
    ("Greenfield College", "Schools", "Webinar", "chloe", ("Ruth Adler", "Vice Principal")),
    ("Ashby Metalworks", "Manufacturers", "Outbound", "ben", ("Ian Pryce", "Works Manager")),
    ("Linden Care Group", "Hospitals", "Trade show", "ana", ("Mei Chen", "Rota Coordinator")),
]

# What the first contact of some of those accounts said they wanted, in their words.
EXTRA_WHYS = {
    "Harbourview Clinic": "Missed appointments cost us two clinic sessions a week.",
    "Westmoor Hospital": "Theatre lists are rebuilt by hand every morning and still run late.",
}

# account, deal, value (EUR), days until expected close, next step,
# stages entered [(stage, days ago)], close reason for a closed deal
DEALS: list[tuple[str, str, int, int, str, list[tuple[str, int]], str]] = [
    (
        "St Brigid's Hospital",
        "Patient flow for four wards",
        48_000,
        60,
        "Agree the pilot wards with Dr Shaw",
        [("Lead", 30), ("Qualified", 18), ("Solution development", 6)],
        "",
    ),
    (
        "Northgate Community Health",
        "Community visit scheduling",
        22_000,
        90,
        "Find out who else feels the missed visits",
        [("Lead", 40)],
        "",
    ),
    (
        "Riverside Academy Trust",
        "Parent messaging, all four schools",
        15_000,
        45,
        "Trial with Year 7 parents",
        [("Lead", 25), ("Qualified", 12), ("Solution development", 9), ("Evaluation", 3)],
        "",
    ),
    ("Hillside Primary", "Parent messaging", 4_000, 30, "", [("Lead", 10)], ""),
    (
        "Kestrel Components",
        "Line-stop early warning",
        60_000,
        21,
        "Finance review of the business case",
        [
            ("Lead", 50),
            ("Qualified", 40),
            ("Solution development", 28),
            ("Evaluation", 20),
            ("Decision", 2),
        ],
        "",
    ),
    (
        "Brightwater Foods",
        "Shift reporting",
        30_000,
        75,
        "Walk the night shift with their supervisor",
        [("Lead", 20), ("Qualified", 9)],
        "",
    ),
    ("Harbourview Clinic", "Outpatient reminders", 12_000, 40, "", [("Lead", 45)], ""),
    ("Oakfield School", "Attendance alerts", 6_500, 50, "", [("Lead", 5)], ""),
    (
        "Meridian Plastics",
        "Maintenance planning",
        41_000,
        30,
        "Site visit once their audit is over",
        [("Lead", 60), ("Qualified", 50), ("Solution development", 40)],
        "",
    ),
    (
        "Westmoor Hospital",
        "Theatre scheduling",
        85_000,
        120,
        "",
        [("Lead", 70), ("Qualified", 33)],
        "",
    ),
    (
        "Copperleaf Bakery",
        "Bake-line downtime",
        9_000,
        35,
        "Send the downtime questions to the plant lead",
        [("Lead", 12), ("Qualified", 2)],
        "",
    ),
    (
        "Greenfield College",
        "Student messaging",
        18_000,
        -10,
        "",
        [("Lead", 90), ("Qualified", 70), ("Solution development", 45), ("Won", 10)],
        "Solved the problem they told us about",
    ),
    (
        "Ashby Metalworks",
        "Press-shop monitoring",
        27_000,
        -30,
        "",
        [("Lead", 80), ("Qualified", 60), ("Lost", 30)],
        "Decided to do nothing",
    ),
    ("Linden Care Group", "Care-home rostering", 16_000, 80, "", [("Lead", 3)], ""),
]


def seed_opportunities(*, now: datetime | None = None) -> int:
    """Create the deals that are missing, with backdated history; returns how many."""
    now = now or timezone.now()
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        return 0
    stages = {stage.name: stage for stage in pipeline.stages.all()}
    admin = User.objects.filter(role=User.Role.ADMIN).first()
    for name, segment, source, owner_name, (person, title) in EXTRA_ACCOUNTS:
        if not Account.objects.filter(name=name).exists():
            owner = User.objects.get(username=owner_name)
            account = prospect_services.account_create(
                actor=admin or owner,
                name=name,
                owner=owner,
                segment=Segment.objects.filter(name=segment).first(),
                lead_source=LeadSource.objects.filter(name=source).first(),
            )
            contact = prospect_services.contact_save(
                actor=owner, contact=Contact(account=account, name=person, title=title)
            )
            if name in EXTRA_WHYS:
                prospect_services.why_record(
                    actor=owner,
                    account=account,
                    text=EXTRA_WHYS[name],
                    said_on=(now - timedelta(days=50)).date(),
                    said_by=contact,
                )
    added = 0
    for account_name, deal, value, close_in, next_step, path, reason in DEALS:
        account = Account.objects.filter(name=account_name).select_related("owner").first()
        if account is None or Opportunity.objects.filter(account=account, name=deal).exists():
            continue
        if any(stage not in stages for stage, _ in path):
            continue  # sales ops renamed the demo's stages; leave their pipeline alone
        opportunity = deal_services.opportunity_create(
            actor=account.owner,
            account=account,
            name=deal,
            owner=account.owner,
            value=Decimal(value),
            expected_close_date=(now + timedelta(days=close_in)).date(),
            next_step=next_step,
            pipeline=pipeline,
            stage=stages[path[0][0]],
        )
        for stage_name, _ in path[1:]:
            stage = stages[stage_name]
            deal_services.opportunity_move_stage(
                actor=account.owner,
                opportunity=opportunity,
                to_stage=stage,
                reason=CloseReason.objects.filter(name=reason).first() if stage.is_closed else None,
            )
        # Give the demo a past: each move happened the given number of days ago.
        changes = list(StageChange.objects.filter(opportunity=opportunity).order_by("at", "pk"))
        for change, (_, days_ago) in zip(changes, path, strict=True):
            StageChange.objects.filter(pk=change.pk).update(at=now - timedelta(days=days_ago))
        backdated = {"created_at": now - timedelta(days=path[0][1])}
        if opportunity.closed_at:
            backdated["closed_at"] = now - timedelta(days=path[-1][1])
            _status_changed_at(account, backdated["closed_at"])
        Opportunity.objects.filter(pk=opportunity.pk).update(**backdated)
        flow.refresh(Opportunity, StageChange, ids=[opportunity.pk])  # the history moved
        added += 1
    seed_sequences(now=now)
    seed_followups(now=now)
    if added:
        deal_services.opportunities_mark_stuck()
    return added


def _status_changed_at(account: Account, closed_at: datetime) -> None:
    """A won demo deal made its account a customer (opportunity_move_stage does) today;
    the timeline says so when the deal was won. Demo accounts change status no other way."""
    AccountEvent.objects.filter(account=account, kind=AccountEvent.Kind.STATUS).update(
        occurred_at=closed_at
    )


# --- Sequences of Events ------------------------------------------------------------------

STEP_KINDS = ["Site visit", "Pilot", "Security review", "Business case", "Board approval"]
# Which kinds of step usually complete which stage of the default pipeline.
COMPLETES = {
    "Qualified": ["Site visit"],
    "Solution development": ["Pilot"],
    "Evaluation": ["Security review", "Business case"],
    "Decision": ["Board approval"],
}
TEMPLATES = {
    # segment: [(step, kind, whose, days after start)]
    "Hospitals": [
        ("Walk the ward with the matron", "Site visit", "both", 7),
        ("Clinical safety sign-off", "", "prospect", 21),
        ("IT security review", "Security review", "prospect", 35),
        ("Pilot on two wards", "Pilot", "both", 60),
        ("Trust board approval", "Board approval", "prospect", 90),
    ],
    "Schools": [
        ("Demo for the senior leadership team", "", "us", 7),
        ("Trial with one year group", "Pilot", "both", 30),
        ("Governors' meeting", "Board approval", "prospect", 60),
    ],
    "Manufacturers": [
        ("Plant walk with the operations lead", "Site visit", "both", 7),
        ("Business case for finance", "Business case", "both", 28),
        ("Pilot on one line", "Pilot", "both", 45),
        ("Capital approval", "Board approval", "prospect", 75),
    ],
}
# account: (reception, note, [(step index done, days before today)], days the SOE is late)
SOES = {
    "St Brigid's Hospital": ("keen", "Helen forwarded it to the IT lead herself.", [0], 0),
    "Riverside Academy Trust": ("lukewarm", "Said it looked 'a bit formal'.", [0], 10),
    "Kestrel Components": ("keen", "", [0, 1, 2], 0),
    "Brightwater Foods": ("not_shared", "", [], 5),
    "Meridian Plastics": ("declined", "They do not want to commit to dates.", [0], 25),
    "Westmoor Hospital": ("lukewarm", "", [], 20),
    "Copperleaf Bakery": ("keen", "", [], 0),
    "Harbourview Clinic": ("not_shared", "", [], 15),
}


def seed_soe_templates() -> dict[str, SoeTemplate]:
    """The kinds of SOE step, the stages they complete, and a template per segment."""
    kinds = {name: StepKind.objects.get_or_create(name=name)[0] for name in STEP_KINDS}
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is not None:
        for stage in pipeline.stages.filter(name__in=COMPLETES):
            stage.completing_kinds.add(*(kinds[name] for name in COMPLETES[stage.name]))
    templates = {}
    for segment_name, steps in TEMPLATES.items():
        segment = Segment.objects.filter(name=segment_name).first()
        template, created = SoeTemplate.objects.get_or_create(
            name=f"{segment_name}: how they usually buy", defaults={"segment": segment}
        )
        if created:
            SoeTemplateStep.objects.bulk_create(
                SoeTemplateStep(
                    template=template,
                    position=position,
                    text=text,
                    kind=kinds.get(kind),
                    owner_side=side,
                    days_after_start=days,
                )
                for position, (text, kind, side, days) in enumerate(steps)
            )
        templates[segment_name] = template
    return templates


def seed_sequences(*, now: datetime | None = None) -> int:
    """SOEs for most open demo deals, from their segment's template; returns how many."""
    now = now or timezone.now()
    templates = seed_soe_templates()
    added = 0
    for account_name, (reception, note, done, late) in SOES.items():
        deal = (
            Opportunity.objects.filter(account__name=account_name, closed_at__isnull=True)
            .select_related("account__segment", "owner")
            .first()
        )
        if deal is None or Sequence.objects.filter(opportunity=deal).exists():
            continue
        segment = deal.account.segment.name if deal.account.segment else None
        sequence = soe_services.soe_start(
            actor=deal.owner, opportunity=deal, template=templates.get(segment)
        )
        steps = list(sequence.steps.order_by("position"))
        # Shift the plan back so some steps are done and, where the deal is late, some
        # open ones have slipped past their dates.
        for step in steps:
            if step.target_date:
                step.target_date -= timedelta(days=late + 10)
                step.first_target_date = step.target_date
        SoeStep.objects.bulk_update(steps, ["target_date", "first_target_date"])
        for index in done:
            if index < len(steps):
                soe_services.soe_step_done(
                    actor=deal.owner,
                    step=steps[index],
                    done_on=(now - timedelta(days=late + 5 - index)).date(),
                )
        if reception != "not_shared":
            soe_services.soe_set_reception(
                actor=deal.owner, sequence=sequence, reception=reception, note=note
            )
        # The SOE's history happened when the deal last moved, so quiet deals stay stuck.
        last_move = deal.stage_changes.order_by("-at").values_list("at", flat=True).first()
        SoeChange.objects.filter(sequence=sequence).update(at=last_move or now)
        added += 1
    return added


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


# --- Six quarters of closed deals, so the dashboard has a past to measure ------------------

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
            _status_changed_at(account, moves[-1][1])
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
        Sequence.objects.create(
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


def seed() -> list[str]:
    """seed_demo's entry point (after prospects' accounts): adds what is missing and says
    what it added."""
    lines = []
    deals = seed_opportunities()
    history = seed_history()
    if deals:
        lines.append(f"Added {deals} demo deals across the stages, a few of them stuck.")
    if history:
        lines.append(f"Added {history} closed deals over six quarters, for the dashboard.")
    return lines
