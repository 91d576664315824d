"""The benchmark data set: bench- teams, reps, accounts and deals with a believable past.

Rows go straight into the tables with bulk_create, thousands a statement, not through the
services, which check and write one row at a time (20,000 deals through them would take
most of an hour). The rows keep the rules the services keep — a deal's history starts with
"Deal opened" and no from_stage, a closed deal has a close reason of the right kind and a
closed_at, created_at is the first change's time, a done SOE step has its day — and
tests/pipeline/test_bench.py checks that they do.

Everything made here is tagged: team, user, account and deal names start with ``bench-``,
so the demo data is never touched. Deal number i is always the same deal for a given seed
(each deal and each account draws from its own random stream), so a rerun finds what
exists and only tops up to the size asked for.
"""

from __future__ import annotations

import importlib
import itertools
import random
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, F, Model, OuterRef, QuerySet, Subquery
from django.utils import timezone

from pipeline import flow
from pipeline.demo import seed_soe_templates
from pipeline.models import (
    CloseReason,
    Currency,
    FollowUp,
    FollowUpEvent,
    Opportunity,
    OwnerSide,
    PatienceRule,
    Pipeline,
    Sequence,
    SoeChange,
    SoeStep,
    SoeTemplate,
    SoeTemplateStep,
    Stage,
    StageChange,
)
from pipeline.patience import Hold
from pipeline.selectors import opportunities_visible_to
from prospects.demo import seed_segments_and_sources
from prospects.models import (
    READINESS_QUESTIONS,
    Account,
    AccountEvent,
    Answer,
    Channel,
    Contact,
    Conversation,
    ConversationKind,
    LeadSource,
    Segment,
    WhyNote,
)
from salesflow.core import services as core_services
from salesflow.core.models import Team, User

PREFIX = "bench-"
TEAMS = 5
REPS = 25
# Deals written per transaction: big enough for few round trips, small enough that a
# build stopped half-way keeps whole batches (a rerun carries on from the last one).
BATCH_DEALS = 5_000
# The data set's past: about six quarters.
HISTORY_DAYS = 550
# Deals per account, drawn evenly from this list: two on average, some with one or three.
DEALS_PER_ACCOUNT = (1, 1, 2, 2, 2, 2, 3, 3)
# One deal in this many bounced back and forth for months; deal 0 always does, so even a
# tiny data set has a deal page with a long history to measure.
SAGA_EVERY = 500

PLACES = ["Northgate", "Riverside", "Harbourview", "Oakfield", "Westmoor", "Kestrel", "Linden"]
PLACES += ["Ashby", "Brightwater", "Copperleaf", "Greenfield", "Meridian", "Stonebridge"]
ORGANISATIONS = {
    "Hospitals": ["Hospital", "Clinic", "Health Trust", "Care Group", "Community Health"],
    "Schools": ["Academy", "Primary", "College", "Learning Trust", "High School"],
    "Manufacturers": ["Components", "Foods", "Plastics", "Metalworks", "Engineering"],
}
PRODUCTS = [
    "Patient flow",
    "Parent messaging",
    "Line-stop early warning",
    "Shift reporting",
    "Maintenance planning",
    "Theatre scheduling",
    "Attendance alerts",
    "Rostering",
]
FIRST_NAMES = ["Helen", "Tom", "Priya", "Mark", "Janet", "Lars", "Sofia", "Owen", "Amira", "Ian"]
LAST_NAMES = ["Shaw", "Okoro", "Nair", "Ellis", "Cole", "Berg", "Marin", "Price", "Haddad"]
TITLES = ["Head of Operations", "Finance Director", "IT Security Lead", "Business Manager"]
NOTES = [
    "Walked through last quarter's numbers together.",
    "They count the cost of the problem every month now.",
    "Asked who else feels it; the night team does.",
    "Finance wants payback numbers before any pilot.",
    "Showed how the board would look for their team.",
    "Agreed to meet the operations lead next week.",
    "No budget until the new financial year.",
    "They are talking to another supplier as well.",
]
EMOTIONS = ["", "", "Frustrated", "Tired of firefighting", "Hopeful", "Wary of IT", "Relieved"]
WHYS = [
    "We lose two shifts a month to stoppages nobody sees coming.",
    "Parents chase us by phone because messages go missing.",
    "Beds stay blocked over the weekend because discharges stall on Fridays.",
    "Every audit finds the same gaps and we fix them by hand.",
    "Rotas are rebuilt every morning and still run late.",
]
NEXT_STEPS = ["", "Agree the pilot scope", "Meet finance", "Send the security pack", "Site visit"]
PURPOSES = [
    "Hear whether the pilot scope still fits",
    "Find out who else feels the problem",
    "Confirm who signs off the change",
    "Ask whether the numbers they shared still hold",
]
LOST_NOTES = ["", "", "They went quiet after the demo", "Budget moved to another project"]
CURRENCIES = [Currency.EUR] * 14 + [Currency.GBP] * 3 + [Currency.USD] * 2 + [Currency.CHF]
KINDS_IN_ORDER = [
    ConversationKind.INITIAL_OUTREACH,
    ConversationKind.QUALIFYING,
    ConversationKind.SOLUTION_DEVELOPMENT,
    ConversationKind.EVALUATION_CHECK_IN,
    ConversationKind.DECISION,
]
RECEPTIONS = [Sequence.Reception.KEEN] * 4 + [
    Sequence.Reception.LUKEWARM,
    Sequence.Reception.LUKEWARM,
    Sequence.Reception.DECLINED,
    Sequence.Reception.NOT_SHARED,
    Sequence.Reception.NOT_SHARED,
    Sequence.Reception.NOT_SHARED,
]


def bench_opportunities() -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(name__startswith=PREFIX)


def bench_accounts() -> QuerySet[Account]:
    return Account.objects.filter(name__startswith=PREFIX)


def bench_users() -> QuerySet[User]:
    return User.objects.filter(username__startswith=PREFIX)


def admin_username() -> str:
    return f"{PREFIX}admin"


def busy_rep() -> User | None:
    """The bench rep who owns the most deals."""
    reps = bench_users().filter(role=User.Role.REP)
    return reps.annotate(deals=Count("opportunities")).order_by("-deals", "username").first()


def long_history_deal(*, user: User) -> Opportunity | None:
    """The bench deal with the most stage changes among those the user may see."""
    deals = opportunities_visible_to(user).filter(name__startswith=PREFIX)
    return deals.annotate(moves=Count("stage_changes")).order_by("-moves", "pk").first()


# --- Reference data and people ------------------------------------------------------------


@dataclass
class _Context:
    """What every deal refers to, loaded once."""

    now: datetime
    open_stages: list[Stage]
    won: Stage
    lost: Stage
    pipeline: Pipeline
    won_reasons: list[CloseReason]
    lost_reasons: list[CloseReason]  # lost and disqualified: both fit a lost deal
    segments: list[Segment]
    sources: list[LeadSource]
    template_steps: dict[int, tuple[SoeTemplate, list[SoeTemplateStep]]]  # by segment id
    reps: list[User]
    managers: dict[int, User]  # by team id
    teammates: dict[int, list[User]]  # reps by team id


def _seed_reference_data() -> tuple[dict[str, Segment], dict[str, LeadSource]]:
    """The default pipeline, close reasons, segments, lead sources, step kinds and SOE
    templates, by the same functions the migrations and seed_demo use; each one only
    creates what is missing."""
    for module, function in [
        ("pipeline.migrations.0002_default_pipeline", "add_default_pipeline"),
        ("pipeline.migrations.0004_close_reasons", "add_reasons"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)
    segments, sources = seed_segments_and_sources()
    seed_soe_templates()
    return segments, sources


def _people() -> tuple[list[User], dict[int, User]]:
    """The bench admin, reps and managers; made once, with no usable password, so nobody
    can sign in as them (the benchmark signs them in with force_login)."""
    names = itertools.cycle(zip(FIRST_NAMES, LAST_NAMES, strict=False))
    wanted = [(admin_username(), User.Role.ADMIN)]
    wanted += [(f"{PREFIX}manager-{t + 1}", User.Role.MANAGER) for t in range(TEAMS)]
    wanted += [(f"{PREFIX}rep-{r + 1:02d}", User.Role.REP) for r in range(REPS)]
    existing = set(bench_users().values_list("username", flat=True))
    missing = []
    for (username, role), (first, last) in zip(wanted, names, strict=False):
        if username not in existing:
            user = User(username=username, role=role, first_name=first, last_name=last)
            user.email = f"{username}@bench.salesflow.test"
            core_services.user_apply_role(user=user)
            user.set_unusable_password()
            missing.append(user)
    User.objects.bulk_create(missing)
    users = {user.username: user for user in bench_users()}
    managers: dict[int, User] = {}
    for t in range(TEAMS):
        manager = users[f"{PREFIX}manager-{t + 1}"]
        team = Team.objects.filter(name=f"{PREFIX}team-{t + 1}").first()
        if team is None:
            team = core_services.team_create(name=f"{PREFIX}team-{t + 1}", manager=manager)
        manager.team = team
        managers[team.pk] = manager
    reps = [users[f"{PREFIX}rep-{r + 1:02d}"] for r in range(REPS)]
    teams = list(managers)
    for r, rep in enumerate(reps):
        if rep.team_id is None:
            rep.team_id = teams[r % TEAMS]
            rep.save(update_fields=["team"])
    return reps, managers


def _context(now: datetime) -> _Context:
    segments, sources = _seed_reference_data()
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position", "pk"))
    open_stages = [stage for stage in stages if stage.outcome == Stage.Outcome.OPEN]
    won = next((stage for stage in stages if stage.outcome == Stage.Outcome.WON), None)
    lost = next((stage for stage in stages if stage.outcome == Stage.Outcome.LOST), None)
    if not open_stages or won is None or lost is None:
        raise ValueError(
            f"The default pipeline {pipeline} needs open stages, a won and a lost one."
        )
    reasons = list(CloseReason.objects.filter(active=True).order_by("kind", "position", "pk"))
    won_reasons = [reason for reason in reasons if reason.fits(Stage.Outcome.WON)]
    lost_reasons = [reason for reason in reasons if reason.fits(Stage.Outcome.LOST)]
    if not won_reasons or not lost_reasons:
        raise ValueError("The data set needs an active close reason for won and for lost deals.")
    template_steps = {}
    for segment in segments.values():
        template = SoeTemplate.objects.filter(segment=segment).order_by("name").first()
        if template is not None:
            steps = list(template.steps.order_by("position", "pk"))
            template_steps[segment.pk] = (template, steps)
    reps, managers = _people()
    teammates: dict[int, list[User]] = {}
    for rep in reps:
        teammates.setdefault(rep.team_id, []).append(rep)  # type: ignore[arg-type]
    return _Context(
        now=now,
        open_stages=open_stages,
        won=won,
        lost=lost,
        pipeline=pipeline,
        won_reasons=won_reasons,
        lost_reasons=lost_reasons,
        segments=sorted(segments.values(), key=lambda segment: segment.name),
        sources=sorted(sources.values(), key=lambda source: source.name),
        template_steps=template_steps,
        reps=reps,
        managers=managers,
        teammates=teammates,
    )


# --- The plan: which deals belong to which account -----------------------------------------


@dataclass(frozen=True)
class _AccountSlot:
    number: int
    first_deal: int
    deals: int  # how many of its deals fall inside the size asked for


def _slots(opportunities: int, seed: int) -> list[_AccountSlot]:
    """Accounts in order with the deal numbers each holds. The counts come from one
    stream that does not depend on the size, so deal i sits on the same account whatever
    size is asked for; the last account may hold fewer deals than it will at a larger size."""
    counts = random.Random(f"{seed}:deals-per-account")
    slots: list[_AccountSlot] = []
    first = 0
    while first < opportunities:
        count = min(counts.choice(DEALS_PER_ACCOUNT), opportunities - first)
        slots.append(_AccountSlot(number=len(slots), first_deal=first, deals=count))
        first += count
    return slots


def _owner_weights() -> list[float]:
    # Skewed like real teams: the first rep owns about seven times the last one's deals.
    return [1 / (r + 1) ** 0.6 for r in range(REPS)]


def _account_name(number: int, rng: random.Random, segment: Segment) -> str:
    kinds = ORGANISATIONS.get(segment.name, ["Ltd"])
    return f"{PREFIX}{number:06d} {rng.choice(PLACES)} {rng.choice(kinds)}"


def _deal_name(number: int, rng: random.Random) -> str:
    return f"{PREFIX}{number:06d} {rng.choice(PRODUCTS)}"


def _deal_number(name: str) -> int:
    return int(name.removeprefix(PREFIX).split(" ", 1)[0])


# --- Rows for one batch ----------------------------------------------------------------------


@dataclass
class _Rows:
    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    conversation_contacts: list[tuple[Conversation, Contact]] = field(default_factory=list)
    why_notes: list[WhyNote] = field(default_factory=list)
    events: list[AccountEvent] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    stage_changes: list[StageChange] = field(default_factory=list)
    sequences: list[Sequence] = field(default_factory=list)
    steps: list[SoeStep] = field(default_factory=list)
    soe_changes: list[SoeChange] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    followup_events: list[FollowUpEvent] = field(default_factory=list)

    def save(self) -> Counter[str]:
        """Write the batch parents first (bulk_create fills in the primary keys on
        PostgreSQL, so children can point at the objects), then put back the creation
        times that auto_now_add overwrote."""
        size = 2_000
        Account.objects.bulk_create(self.accounts, batch_size=size)
        Contact.objects.bulk_create(self.contacts, batch_size=size)
        Conversation.objects.bulk_create(self.conversations, batch_size=size)
        Conversation.contacts.through.objects.bulk_create(
            [
                Conversation.contacts.through(conversation=conversation, contact=contact)
                for conversation, contact in self.conversation_contacts
            ],
            batch_size=size,
        )
        WhyNote.objects.bulk_create(self.why_notes, batch_size=size)
        AccountEvent.objects.bulk_create(self.events, batch_size=size)
        Opportunity.objects.bulk_create(self.opportunities, batch_size=size)
        StageChange.objects.bulk_create(self.stage_changes, batch_size=size)
        Sequence.objects.bulk_create(self.sequences, batch_size=size)
        SoeStep.objects.bulk_create(self.steps, batch_size=size)
        SoeChange.objects.bulk_create(self.soe_changes, batch_size=size)
        FollowUp.objects.bulk_create(self.followups, batch_size=size)
        FollowUpEvent.objects.bulk_create(self.followup_events, batch_size=size)
        self._backdate()
        return Counter(
            {name: len(rows) for name, rows in vars(self).items() if isinstance(rows, list)}
        )

    def _backdate(self) -> None:
        """Each row's created_at from the history row written at its creation, one UPDATE
        per table: bulk_create stamps auto_now_add fields with the present, and the data
        set's past must read the same wherever a page looks."""
        changes = StageChange.objects.filter(opportunity=OuterRef("pk"))
        _update(
            self.opportunities,
            created_at=_first(changes.order_by("at", "pk"), "at"),
            updated_at=_first(changes.order_by("-at", "-pk"), "at"),
        )
        created = AccountEvent.objects.filter(
            account=OuterRef("pk"), kind=AccountEvent.Kind.CREATED
        )
        _update(self.accounts, created_at=_first(created, "occurred_at"))
        said = AccountEvent.objects.filter(why_note=OuterRef("pk"))
        _update(self.why_notes, created_at=_first(said, "occurred_at"))
        started = SoeChange.objects.filter(sequence=OuterRef("pk"), action=SoeChange.Action.STARTED)
        _update(self.sequences, created_at=_first(started, "at"))
        held = FollowUpEvent.objects.filter(follow_up=OuterRef("pk")).order_by("at", "pk")
        _update(self.followups, created_at=_first(held, "at"))
        _update(self.conversations, created_at=F("occurred_at"))
        flow.refresh(Opportunity, StageChange, ids=[deal.pk for deal in self.opportunities])


def _first(rows: QuerySet[Model], column: str) -> Subquery:
    return Subquery(rows.values(column)[:1])


def _update(rows: Collection[Model], **values: object) -> None:
    """One UPDATE of the given rows, by primary key."""
    if rows:
        model = type(next(iter(rows)))
        model._default_manager.filter(pk__in=[row.pk for row in rows]).update(**values)


def _moment(start: datetime, end: datetime, rng: random.Random) -> datetime:
    return start + (end - start) * rng.random()


def _answers(rng: random.Random, *, eager: bool) -> list[int]:
    """For each readiness question, the step of the story from which the answer is yes;
    eager prospects (deals that will be won) get there sooner."""
    return [rng.randint(0, 2 if eager else 5) for _ in READINESS_QUESTIONS]


def _readiness(turns: list[int], step: int, doubtful: bool) -> dict[str, str]:
    before = Answer.NO if doubtful else Answer.UNKNOWN
    return {
        question: Answer.YES if step >= turn else before
        for (question, _), turn in zip(READINESS_QUESTIONS, turns, strict=True)
    }


@dataclass
class _AccountState:
    account: Account
    start: datetime  # when the first conversation or deal could happen
    contacts: list[Contact]
    conversations: list[Conversation]
    team_id: int
    won_any: bool = False


def _new_account(slot: _AccountSlot, ctx: _Context, rows: _Rows, seed: int) -> _AccountState:
    """An account with two or three contacts, several conversations, perhaps a why."""
    rng = random.Random(f"{seed}:account:{slot.number}")
    # Account 0 holds deal 0, the long story, and goes to rep 01, the likely busiest.
    owner = ctx.reps[0 if slot.number == 0 else rng.choices(range(REPS), _owner_weights())[0]]
    segment = rng.choice(ctx.segments)
    start = ctx.now - timedelta(days=rng.uniform(20, HISTORY_DAYS))
    account = Account(
        name=_account_name(slot.number, rng, segment),
        website=f"https://{PREFIX}{slot.number}.example.com" if rng.random() < 0.7 else "",
        segment=segment,
        lead_source=rng.choice(ctx.sources),
        owner=owner,
    )
    rows.accounts.append(account)
    rows.events.append(
        AccountEvent(
            account=account, kind=AccountEvent.Kind.CREATED, occurred_at=start, actor=owner
        )
    )
    contacts = []
    for c in range(rng.choice((2, 2, 3))):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contacts.append(
            Contact(
                account=account,
                name=f"{first} {last}",
                title=rng.choice(TITLES),
                email=f"{first}.{last}@{PREFIX}{slot.number}.example.com".lower(),
                buying_role=Contact.BuyingRole.CHAMPION
                if c == 0
                else rng.choice(Contact.BuyingRole.values),
            )
        )
    rows.contacts += contacts
    # Several conversations, further along the story each time; an answer once given
    # stands until another conversation changes it, as conversation_log keeps it.
    count = rng.randint(3, 6)
    moments = sorted(_moment(start, ctx.now - timedelta(hours=2), rng) for _ in range(count))
    turns, doubtful = _answers(rng, eager=rng.random() < 0.4), rng.random() < 0.2
    conversations = []
    for n, occurred_at in enumerate(moments):
        step = n * len(KINDS_IN_ORDER) // count
        conversation = Conversation(
            account=account,
            logged_by=owner,
            occurred_at=occurred_at,
            channel=rng.choice(Channel.values),
            kind=KINDS_IN_ORDER[step],
            notes=rng.choice(NOTES),
            emotion_found=rng.choice(EMOTIONS),
            **_readiness(turns, step, doubtful),
        )
        conversations.append(conversation)
        rows.conversation_contacts.append((conversation, rng.choice(contacts)))
        rows.events.append(
            AccountEvent(
                account=account,
                kind=AccountEvent.Kind.CONVERSATION,
                occurred_at=occurred_at,
                actor=owner,
                conversation=conversation,
            )
        )
        for question, _ in READINESS_QUESTIONS:
            answer = getattr(conversation, question)
            if answer != Answer.UNKNOWN and answer != getattr(account, question):
                setattr(account, question, answer)
                setattr(account, f"{question}_changed_at", occurred_at)
    rows.conversations += conversations
    if rng.random() < 0.6:
        said = moments[min(1, count - 1)]
        why = WhyNote(
            account=account,
            text=rng.choice(WHYS),
            said_by=contacts[0],
            said_on=said.date(),
            recorded_by=owner,
        )
        rows.why_notes.append(why)
        rows.events.append(
            AccountEvent(
                account=account,
                kind=AccountEvent.Kind.WHY,
                occurred_at=said,
                actor=owner,
                why_note=why,
            )
        )
    return _AccountState(
        account=account,
        start=start,
        contacts=contacts,
        conversations=conversations,
        team_id=owner.team_id,  # type: ignore[arg-type]
    )


def _existing_account(slot: _AccountSlot) -> _AccountState | None:
    """The account a previous, smaller build stopped part-way through (None if gone)."""
    account = (
        bench_accounts()
        .filter(name__startswith=f"{PREFIX}{slot.number:06d} ")
        .select_related("owner")
        .first()
    )
    if account is None:
        return None
    return _AccountState(
        account=account,
        start=account.created_at,
        contacts=list(account.contacts.order_by("pk")),
        conversations=[],
        team_id=account.owner.team_id,  # type: ignore[arg-type]
    )


def _path(rng: random.Random, ctx: _Context, *, saga: bool) -> tuple[list[Stage], str]:
    """The stages a deal went through, and how it ended ("open", "won" or "lost"): forward
    mostly, now and then skipping a stage or falling back one; about 60% closed."""
    last = len(ctx.open_stages) - 1
    roll = rng.random()
    outcome = "won" if roll < 0.3 else "lost" if roll < 0.6 else "open"
    weights = [max(1, 30 - 6 * position) for position in range(last + 1)]
    if outcome == "won":
        reached = last if rng.random() < 0.85 else max(0, last - rng.randint(1, 2))
    else:
        reached = rng.choices(range(last + 1), weights)[0]
    if saga:
        reached = max(reached, min(last, 3))  # a long story goes far, back and forth
    position = 1 if rng.random() < 0.1 and reached >= 1 else 0
    path = [ctx.open_stages[position]]
    bounces = rng.randint(8, 20) if saga else 0
    while position < reached or bounces:
        if bounces and position >= 1 and rng.random() < 0.5:
            position -= 1  # back a stage: the evaluation restarts, the scope changes
            bounces -= 1
        elif position < reached:
            skip = 2 if rng.random() < 0.12 and position + 2 <= reached else 1
            position += skip
        else:
            position -= 1
            bounces -= 1
        path.append(ctx.open_stages[position])
        if not saga and position >= 2 and rng.random() < 0.04:
            position -= 1
            path.append(ctx.open_stages[position])
    if outcome != "open":
        path.append(ctx.won if outcome == "won" else ctx.lost)
    return path, outcome


def _timeline(
    rng: random.Random, start: datetime, end: datetime, moves: int, *, closed: bool
) -> list[datetime]:
    """When each move happened: days to weeks apart, squeezed in before `end` if the deal
    opened too late for that."""
    earliest = start + (end - start) * (rng.uniform(0, 0.7) if closed else rng.uniform(0.2, 1))
    # Half a day a move at least, so even a deal opened yesterday has its moves in order.
    earliest = min(earliest, end - timedelta(days=0.5 * moves))
    gaps = [rng.uniform(2, 40) for _ in range(moves - 1)]
    room = (end - earliest).total_seconds() / 86_400
    scale = min(1.0, room * 0.95 / sum(gaps)) if gaps else 1.0
    moments = [earliest]
    for gap in gaps:
        moments.append(moments[-1] + timedelta(days=max(gap * scale, 0.01)))
    return moments


def _new_deal(number: int, state: _AccountState, ctx: _Context, rows: _Rows, seed: int) -> None:
    """One deal with its stage history, perhaps an SOE and a follow-up."""
    rng = random.Random(f"{seed}:deal:{number}")
    saga = number % SAGA_EVERY == 0
    team = ctx.teammates[state.team_id]
    owner = state.account.owner
    if rng.random() < 0.1 and len(team) > 1:
        owner = rng.choice(team)  # a teammate runs this one
    path, outcome = _path(rng, ctx, saga=saga)
    moments = _timeline(
        rng, state.start, ctx.now - timedelta(hours=1), len(path), closed=outcome != "open"
    )
    closed_at = moments[-1] if outcome != "open" else None
    reason = None
    if outcome != "open":
        reason = rng.choice(ctx.won_reasons if outcome == "won" else ctx.lost_reasons)
    value = Decimal(
        rng.choice((2, 5, 8, 12, 20, 30, 45, 60, 90, 150)) * 1000 + rng.randint(0, 19) * 250
    )
    if outcome == "open":
        expected = (moments[0] + timedelta(days=rng.randint(45, 200))).date()
    else:
        expected = closed_at.date()  # type: ignore[union-attr]
    opportunity = Opportunity(
        account=state.account,
        name=_deal_name(number, rng),
        owner=owner,
        pipeline=ctx.pipeline,
        stage=path[-1],
        value=value,
        currency=rng.choice(CURRENCIES),
        expected_close_date=expected,
        lead_source=state.account.lead_source,
        next_step=rng.choice(NEXT_STEPS) if outcome == "open" else "",
        close_reason=reason,
        closed_at=closed_at,
    )
    rows.opportunities.append(opportunity)
    if outcome == "won":
        state.won_any = True
    turns, doubtful = _answers(rng, eager=outcome == "won"), rng.random() < 0.15
    manager = ctx.managers[state.team_id]
    progress = 0  # how far the deal got: answers do not go back when the stage does
    for step, (stage, at) in enumerate(zip(path, moments, strict=True)):
        closing = stage.is_closed
        if not closing:
            progress = max(progress, ctx.open_stages.index(stage))
        rows.stage_changes.append(
            StageChange(
                opportunity=opportunity,
                from_stage=path[step - 1] if step else None,
                to_stage=stage,
                at=at,
                by=manager if rng.random() < 0.08 else owner,
                note="Deal opened" if step == 0 else rng.choice(LOST_NOTES) if closing else "",
                reason=reason if closing else None,
                **_readiness(turns, progress, doubtful),
            )
        )
    reached = max(ctx.open_stages.index(stage) for stage in path if not stage.is_closed)
    if rng.random() < (0.65 if reached >= 2 else 0.12):
        _new_soe(rng, opportunity, state, ctx, rows, moments, path, outcome)
    if outcome == "open" and rng.random() < 0.3:
        _new_followup(rng, opportunity, state, ctx, rows, moments[-1])


def _new_soe(
    rng: random.Random,
    opportunity: Opportunity,
    state: _AccountState,
    ctx: _Context,
    rows: _Rows,
    moments: list[datetime],
    path: list[Stage],
    outcome: str,
) -> None:
    """The prospect's Sequence of Events, started when the deal reached solution
    development (or on opening), steps done, slipped, skipped, and its reception."""
    owner = opportunity.owner
    later = ctx.open_stages[2:]
    entered = [at for stage, at in zip(path, moments, strict=True) if stage in later]
    started = entered[0] if entered else moments[0]
    template, seeds = ctx.template_steps.get(state.account.segment_id, (None, []))
    source = next((c for c in reversed(state.conversations) if c.occurred_at <= started), None)
    sequence = Sequence(opportunity=opportunity, template=template)
    rows.sequences.append(sequence)
    summary = f"From the template “{template.name}”" if template else "Blank"
    rows.soe_changes.append(
        SoeChange(
            sequence=sequence,
            action=SoeChange.Action.STARTED,
            at=started,
            by=owner,
            summary=summary,
        )
    )
    today = ctx.now.date()
    closed_on = moments[-1].date() if outcome != "open" else None
    for position, seed in enumerate(seeds):
        first_target = started.date() + timedelta(days=seed.days_after_start or 14)
        step = SoeStep(
            sequence=sequence,
            position=position,
            text=seed.text,
            kind_id=seed.kind_id,
            owner_side=seed.owner_side,
            proposed_by=state.contacts[0] if state.contacts else None,
            proposed_on=started.date(),
            source_conversation=source,
            responsible_user=owner if seed.owner_side != OwnerSide.PROSPECT else None,
            responsible_contact=state.contacts[-1]
            if seed.owner_side == OwnerSide.PROSPECT and state.contacts
            else None,
            target_date=first_target,
            first_target_date=first_target,
        )
        if rng.random() < 0.25:  # the date moved once, later
            step.target_date = first_target + timedelta(days=rng.randint(5, 30))
            rows.soe_changes.append(
                SoeChange(
                    sequence=sequence,
                    step=step,
                    action=SoeChange.Action.DATE_MOVED,
                    at=min(_at(first_target), ctx.now),
                    by=owner,
                    summary=f"{step.text}: {first_target} → {step.target_date}",
                    old_target_date=first_target,
                )
            )
        deadline = closed_on or today
        done_on = step.target_date + timedelta(days=rng.randint(-5, 15))  # type: ignore[operator]
        if rng.random() < 0.05:
            step.status = SoeStep.Status.SKIPPED
            step.skip_reason = "Not needed: they agreed to go without it"
            action, summary, on = (
                SoeChange.Action.SKIPPED,
                f"{step.text}: {step.skip_reason}",
                started.date(),
            )
        elif done_on <= deadline and (outcome == "won" or rng.random() < 0.75):
            step.status, step.done_on = SoeStep.Status.DONE, done_on
            action, summary, on = SoeChange.Action.DONE, step.text, done_on
        else:
            rows.steps.append(step)
            continue  # still open: slipped if its date has passed
        rows.steps.append(step)
        at = min(_at(on), ctx.now)
        rows.soe_changes.append(
            SoeChange(sequence=sequence, step=step, action=action, at=at, by=owner, summary=summary)
        )
    reception = rng.choice(RECEPTIONS)
    if reception != Sequence.Reception.NOT_SHARED:
        sequence.reception = reception
        sequence.reception_at = started + timedelta(days=rng.uniform(1, 10))
        if sequence.reception_at > ctx.now:
            sequence.reception_at = ctx.now
        if sequence.is_warning:
            sequence.reception_note = "They do not want to commit to dates yet."
        label = sequence.get_reception_display()
        rows.soe_changes.append(
            SoeChange(
                sequence=sequence,
                action=SoeChange.Action.RECEPTION,
                at=sequence.reception_at,
                by=owner,
                summary=f"{label}: {sequence.reception_note}" if sequence.reception_note else label,
            )
        )


def _at(day: date) -> datetime:
    """Mid-morning of a day, in the current time zone."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=10))


def _new_followup(
    rng: random.Random,
    opportunity: Opportunity,
    state: _AccountState,
    ctx: _Context,
    rows: _Rows,
    since: datetime,
) -> None:
    """A follow-up on an open deal, in any of its states."""
    owner = opportunity.owner
    created = _moment(max(since, ctx.now - timedelta(days=30)), ctx.now, rng)
    follow_up = FollowUp(
        account=state.account,
        opportunity=opportunity,
        owner=owner,
        channel=rng.choice(Channel.values),
        purpose=rng.choice(PURPOSES),
        draft="Could we look at this together next week?",
    )
    rows.followups.append(follow_up)
    events = [FollowUpEvent(follow_up=follow_up, action="held", at=created, by=owner)]
    status = rng.choice(["held", "held", "surfaced", "done", "done", "dismissed"])
    if status == "held":
        rule = PatienceRule.Kind.AFTER_CONVERSATION
        follow_up.surface_at = ctx.now + timedelta(days=rng.uniform(0.1, 10))
        why = "let the solution call sink in"
        follow_up.holds = [Hold(rule, follow_up.surface_at, why).as_json()]
        events[0].note = why
    else:
        follow_up.surface_at = _moment(created, ctx.now, rng)
        follow_up.status = status
        follow_up.surfaced_at = follow_up.surface_at
        events.append(
            FollowUpEvent(follow_up=follow_up, action="surfaced", at=follow_up.surface_at)
        )
        if status != "surfaced":
            follow_up.closed_at = _moment(follow_up.surface_at, ctx.now, rng)
            if status == "dismissed":
                follow_up.dismissed_reason = "They already answered on the phone"
            events.append(
                FollowUpEvent(
                    follow_up=follow_up,
                    action=status,
                    at=follow_up.closed_at,
                    by=owner,
                    note=follow_up.dismissed_reason,
                )
            )
    rows.followup_events += events


# --- Building -------------------------------------------------------------------------------

# The tables the data set fills, for ANALYZE.
TABLES: list[type[Model]] = [
    User,
    Team,
    Account,
    Contact,
    Conversation,
    Conversation.contacts.through,
    WhyNote,
    AccountEvent,
    Opportunity,
    StageChange,
    Sequence,
    SoeStep,
    SoeChange,
    FollowUp,
    FollowUpEvent,
]


def analyze() -> None:
    """Fresh planner statistics for the tables the data set fills. Without them (autovacuum
    may be off, or not have come round yet after a bulk load) PostgreSQL plans on guesses,
    and a benchmark would time the guesses rather than the queries."""
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _batches(slots: Iterable[_AccountSlot], deals: int) -> Iterator[list[_AccountSlot]]:
    batch: list[_AccountSlot] = []
    size = 0
    for slot in slots:
        batch.append(slot)
        size += slot.deals
        if size >= deals:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def built_opportunities() -> int:
    """How many of the data set's deals exist: one past the highest deal number (deals are
    written in number order, so the newest row holds it)."""
    numbered = bench_opportunities().filter(name__regex=rf"^{PREFIX}[0-9]{{6}} ")
    last = numbered.order_by("-pk").values_list("name", flat=True).first()
    return _deal_number(last) + 1 if last else 0


def build(opportunities: int, seed: int = 7) -> dict[str, Any]:
    """Build, or top up to, a data set of `opportunities` bench deals; returns what it added.

    Deals are numbered; those already there are kept as they are, so a rerun at the same
    size adds nothing and a larger size adds only the missing ones. A smaller size than
    what exists removes nothing.
    """
    if opportunities < 1:
        raise ValueError("The data set needs at least one opportunity.")
    started = time.perf_counter()
    ctx = _context(timezone.now())
    existing = built_opportunities()
    added: Counter[str] = Counter()
    todo = [slot for slot in _slots(opportunities, seed) if slot.first_deal + slot.deals > existing]
    for batch in _batches(todo, BATCH_DEALS):
        rows = _Rows()
        with transaction.atomic():
            for slot in batch:
                state = None
                if slot.first_deal < existing:
                    state = _existing_account(slot)
                if state is None:
                    state = _new_account(slot, ctx, rows, seed)
                for number in range(max(slot.first_deal, existing), slot.first_deal + slot.deals):
                    _new_deal(number, state, ctx, rows, seed)
                if state.won_any and state.account.pk is None:
                    state.account.status = Account.Status.CUSTOMER
            added += rows.save()
    return {
        "asked": opportunities,
        "seed": seed,
        "existed": existing,
        "opportunities": built_opportunities(),
        "added": dict(sorted(added.items())),
        "seconds": round(time.perf_counter() - started, 2),
    }
