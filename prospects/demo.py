"""Believable demo accounts for seed_demo: three segments, contacts, conversations and whys."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from prospects import services
from prospects.models import (
    Account,
    AccountEvent,
    Answer,
    Contact,
    FacilitativeQuestion,
    LeadSource,
    Segment,
)
from salesflow.core.models import User

SEGMENTS = {
    "Hospitals": "Acute and community care trusts; long evaluations with clinical sign-off.",
    "Schools": "Primary and secondary schools and their trusts; term-time decisions.",
    "Manufacturers": "Mid-sized plants; operations leads decide, finance signs.",
}
LEAD_SOURCES = [
    ("Referral", LeadSource.CostBasis.PER_LEAD, 40),
    ("Trade show", LeadSource.CostBasis.PER_MONTH, 2500),
    ("Webinar", LeadSource.CostBasis.PER_LEAD, 25),
    ("Outbound", LeadSource.CostBasis.PER_MONTH, 1200),
]

# A first version of the why that a later conversation refined, so the history shows.
EARLIER_WHYS = {"Kestrel Components": "We want better reports for the monthly board pack."}

Y, N, U = Answer.YES, Answer.NO, Answer.UNKNOWN

# name, segment, lead source, owner, contacts [(name, title, role)], why (or ""),
# conversations [(days ago, kind, channel, notes, emotion, (problem, significant, ready))]
ACCOUNTS = [
    (
        "St Brigid's Hospital",
        "Hospitals",
        "Referral",
        "ana",
        [
            ("Dr Helen Shaw", "Head of Patient Flow", "champion"),
            ("Tom Okoro", "IT Security Lead", "influencer"),
        ],
        "Ward discharges stall every Friday and we keep beds blocked over the weekend.",
        [
            (
                21,
                "initial_outreach",
                "call",
                "Referred by a former colleague. Talked about Friday discharges.",
                "Tired of weekend bed pressure",
                (Y, U, U),
            ),
            (
                9,
                "qualifying",
                "video",
                "Walked through last winter's numbers together.",
                "Frustrated that the fix keeps slipping",
                (Y, Y, U),
            ),
            (
                2,
                "solution_development",
                "meeting",
                "Showed the discharge board to Helen and Tom; Tom wants the security pack.",
                "Hopeful, a little wary of IT",
                (Y, Y, N),
            ),
        ],
    ),
    (
        "Northgate Community Health",
        "Hospitals",
        "Trade show",
        "ben",
        [("Priya Nair", "Operations Director", "decision_maker")],
        "",
        [
            (
                5,
                "initial_outreach",
                "event",
                "Met at the stand; asked about community nursing rotas.",
                "",
                (U, U, U),
            )
        ],
    ),
    (
        "Riverside Academy Trust",
        "Schools",
        "Webinar",
        "chloe",
        [
            ("Mark Ellis", "Business Manager", "champion"),
            ("Janet Cole", "Head Teacher", "decision_maker"),
        ],
        "Parents are chasing us by phone because the old system loses messages.",
        [
            (30, "initial_outreach", "email", "Replied to the webinar follow-up.", "", (U, U, U)),
            (
                14,
                "qualifying",
                "call",
                "Mark counted 40 missed messages last month.",
                "Embarrassed in front of parents",
                (Y, Y, U),
            ),
            (
                3,
                "evaluation_check_in",
                "call",
                "Janet wants to decide before the spring term.",
                "Relieved there is a plan",
                (Y, Y, Y),
            ),
        ],
    ),
    (
        "Hillside Primary",
        "Schools",
        "Outbound",
        "ana",
        [("Amira Haddad", "Office Manager", "user")],
        "",
        [
            (
                12,
                "initial_outreach",
                "call",
                "Cold call; busy but open to a short chat in January.",
                "",
                (N, U, U),
            )
        ],
    ),
    (
        "Kestrel Components",
        "Manufacturers",
        "Trade show",
        "ben",
        [
            ("Lars Berg", "Plant Manager", "champion"),
            ("Sofia Marin", "Finance Director", "blocker"),
        ],
        "Unplanned line stops cost us two shifts a month and nobody sees them coming.",
        [
            (
                40,
                "initial_outreach",
                "event",
                "Stand conversation about line stops.",
                "",
                (Y, U, U),
            ),
            (
                18,
                "qualifying",
                "meeting",
                "Site visit; Lars showed the whiteboard of stoppages.",
                "Angry about lost shifts",
                (Y, Y, U),
            ),
            (
                6,
                "solution_development",
                "video",
                "Sofia asked for payback numbers; no budget until April.",
                "Lars keen, Sofia sceptical",
                (Y, Y, N),
            ),
        ],
    ),
    (
        "Brightwater Foods",
        "Manufacturers",
        "Referral",
        "chloe",
        [("Owen Price", "Operations Lead", "influencer")],
        "",
        [],
    ),
]


def seed_segments_and_sources() -> tuple[dict[str, Segment], dict[str, LeadSource]]:
    """The demo's segments and lead sources by name, created where missing (the benchmark
    data set uses them too)."""
    segments = {
        name: Segment.objects.get_or_create(name=name, defaults={"description": text})[0]
        for name, text in SEGMENTS.items()
    }
    sources = {
        name: LeadSource.objects.get_or_create(
            name=name, defaults={"cost_basis": basis, "cost": cost}
        )[0]
        for name, basis, cost in LEAD_SOURCES
    }
    return segments, sources


def seed_prospects(*, now: timezone.datetime | None = None) -> int:
    """Create what is missing; returns how many accounts were added."""
    now = now or timezone.now()
    segments, sources = seed_segments_and_sources()
    admin = User.objects.filter(role=User.Role.ADMIN).first()
    added = 0
    for name, segment, source, owner_name, contacts, why, conversations in ACCOUNTS:
        if Account.objects.filter(name=name).exists():
            continue
        owner = User.objects.get(username=owner_name)
        account = services.account_create(
            actor=admin or owner,
            name=name,
            owner=owner,
            segment=segments[segment],
            lead_source=sources[source],
        )
        # The demo's accounts were "imported" before their first conversation.
        first_contact = max((c[0] for c in conversations), default=0) + 1
        account.events.filter(kind=AccountEvent.Kind.CREATED).update(
            occurred_at=now - timedelta(days=first_contact)
        )
        people = [
            services.contact_save(
                actor=owner, contact=Contact(account=account, name=n, title=t, buying_role=r)
            )
            for n, t, r in contacts
        ]
        for days_ago, kind, channel, notes, emotion, (problem, significant, ready) in conversations:
            questions = list(FacilitativeQuestion.objects.filter(kind=kind, active=True)[:2])
            services.conversation_log(
                actor=owner,
                account=account,
                occurred_at=now - timedelta(days=days_ago, hours=3),
                channel=channel,
                kind=kind,
                notes=notes,
                emotion_found=emotion,
                has_problem=problem,
                accepts_significance=significant,
                ready_to_act=ready,
                contacts=people[:1],
                questions_asked=questions,
            )
        if name in EARLIER_WHYS:
            services.why_record(
                actor=owner,
                account=account,
                text=EARLIER_WHYS[name],
                said_on=(now - timedelta(days=40)).date(),
            )
        if why:
            said_on = (now - timedelta(days=conversations[-1][0] if conversations else 0)).date()
            services.why_record(
                actor=owner, account=account, text=why, said_on=said_on, said_by=people[0]
            )
        added += 1
    return added


def seed() -> list[str]:
    """seed_demo's entry point: adds what is missing and says what it added."""
    accounts = seed_prospects()
    if not accounts:
        return []
    return [f"Added {accounts} demo accounts with contacts, conversations and whys."]
