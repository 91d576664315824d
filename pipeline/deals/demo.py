"""Demo deals: every stage of the default pipeline holds some, a few are stuck; each with
a backdated history, an SOE and follow-ups where the story needs them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from pipeline.deals import flow
from pipeline.deals import services as deal_services
from pipeline.deals.models import CloseReason, Opportunity, Pipeline, StageChange
from pipeline.followups.demo import seed_followups
from pipeline.soe.demo import seed_sequences
from prospects import services as prospect_services
from prospects.models import (
    Account,
    AccountEvent,
    Contact,
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
            backdate_status_change(account, backdated["closed_at"])
        Opportunity.objects.filter(pk=opportunity.pk).update(**backdated)
        flow.refresh(Opportunity, StageChange, ids=[opportunity.pk])  # the history moved
        added += 1
    seed_sequences(now=now)
    seed_followups(now=now)
    if added:
        deal_services.opportunities_mark_stuck()
    return added


def backdate_status_change(account: Account, closed_at: datetime) -> None:
    """A won demo deal made its account a customer (opportunity_move_stage does) today;
    the timeline says so when the deal was won. Demo accounts change status no other way."""
    AccountEvent.objects.filter(account=account, kind=AccountEvent.Kind.STATUS).update(
        occurred_at=closed_at
    )
