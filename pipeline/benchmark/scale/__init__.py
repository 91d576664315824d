"""The scale data set: a whole company's worth of CRM history, loaded with PostgreSQL COPY.

`manage.py seed_scale --size large` writes about fourteen million rows (100,000 accounts,
2,000,000 conversations, 200,000 deals with their stage history, SOEs, a million
follow-ups) in a few minutes; `--size small` writes the same shape at a hundredth for tests.
The numbers are in SIZES, one row per size.

Why COPY and not the services or bulk_create: the services check and write a row at a time
and bulk_create builds a model instance per row; at this size both take hours. So the rows
are generated here as CSV text and streamed into the tables, with primary keys reserved
from each table's own sequence (children point at parents by those ids). The rows keep the
rules the services keep, and tests/pipeline/benchmark/test_seed_scale.py checks them on the
small size:

- a deal's history starts with "Deal opened" (no from_stage) at the deal's created_at; open
  deals sit in open stages; a closed deal has closed_at and a close reason that fits;
  left_at, furthest_rank and qualified_* are filled as pipeline.flow.refresh computes them;
- every conversation, why version, status change and account creation has its
  AccountEvent, as prospects.services writes them; the account's readiness answers and
  their changed_at are what conversation_log would have left; stage changes snapshot the
  answers the account had at the moment of the move;
- SOEs start with a "started" change, template steps only when every template step is
  there, added steps have an "added" change, moved dates a "date_moved" one with the old
  date, done and skipped steps theirs; a reception has its change;
- follow-ups have a purpose, holds as patience writes them and the FollowUpEvent history
  of their status (held, surfaced or surfaced early, done, dismissed).

The reviews (forty at large) are few, so they are played through the review services
(pipeline.reviews.demo.run_review) and then moved back in time. Last, the stuck check runs
as the beat would (services.opportunities_mark_stuck): stuck_since and the owners' notices.

Everything is tagged: teams, users, accounts, deals and reviews are named ``scale-…``, so
seed_demo's data can live beside it. Deterministic for a seed: the same seed gives the same
rows, names, counts and relations; times are placed relative to the moment of loading.
"""

from __future__ import annotations

import importlib
import io
import itertools
import json
import queue
import random
import threading
import time
import zoneinfo
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from pipeline import flow
from pipeline import services as pipeline_services
from pipeline.demo import seed_soe_templates
from pipeline.models import (
    CalendarFeed,
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
    Stage,
    StageChange,
)
from pipeline.reviews.models import Action, Group, Item, Participant, PhaseChange, Review, Vote
from prospects.demo import seed_segments_and_sources
from prospects.models import (
    Account,
    AccountEvent,
    Answer,
    Channel,
    Contact,
    Conversation,
    ConversationKind,
    FacilitativeQuestion,
    WhyNote,
)
from salesflow.core import services as core_services
from salesflow.core.models import Notification, Team, User

PREFIX = "scale-"


@dataclass(frozen=True)
class Size:
    """Exact row counts of one size; the tests check every table against them."""

    teams: int
    reps: int  # plus a manager per team, a sales ops user and an admin
    accounts: int
    contacts: int
    conversations: int
    opportunities: int
    open_opportunities: int
    stage_changes: int
    sequences: int  # SOEs
    soe_steps: int
    followups: int
    held_followups: int
    due_followups: int  # held, and surface_at <= now: the next sweep surfaces them
    reviews: int
    key_accounts: int  # the few big accounts with long histories
    history_days: int


SIZES: dict[str, Size] = {
    "large": Size(
        teams=8,
        reps=50,
        accounts=100_000,
        contacts=300_000,
        conversations=2_000_000,
        opportunities=200_000,
        open_opportunities=40_000,
        stage_changes=800_000,
        sequences=100_000,
        soe_steps=600_000,
        followups=1_000_000,
        held_followups=100_000,
        due_followups=5_000,
        reviews=40,
        key_accounts=50,
        history_days=730,
    ),
    "small": Size(
        teams=8,
        reps=50,
        accounts=1_000,
        contacts=3_000,
        conversations=20_000,
        opportunities=2_000,
        open_opportunities=400,
        stage_changes=8_000,
        sequences=1_000,
        soe_steps=6_000,
        followups=10_000,
        held_followups=1_000,
        due_followups=50,
        reviews=4,
        key_accounts=5,
        history_days=730,
    ),
}

# Accounts generated (and streamed) at a time: enough rows per COPY to amortise the round
# trip, few enough that memory stays flat at any size.
CHUNK_ACCOUNTS = 1_000

PLACES = ["Northgate", "Riverside", "Harbourview", "Oakfield", "Westmoor", "Kestrel", "Linden"]
PLACES += ["Ashby", "Brightwater", "Copperleaf", "Greenfield", "Meridian", "Stonebridge"]
ORGANISATIONS = {
    "Hospitals": ["Hospital", "Clinic", "Health Trust", "Care Group", "Community Health"],
    "Schools": ["Academy", "Primary", "College", "Learning Trust", "High School"],
    "Manufacturers": ["Components", "Foods", "Plastics", "Metalworks", "Engineering"],
}
PRODUCTS = ["Patient flow", "Parent messaging", "Line-stop early warning", "Shift reporting"]
PRODUCTS += ["Maintenance planning", "Theatre scheduling", "Attendance alerts", "Rostering"]
FIRST_NAMES = ["Helen", "Tom", "Priya", "Mark", "Janet", "Lars", "Sofia", "Owen", "Amira", "Ian"]
FIRST_NAMES += ["Grace", "Yusuf", "Mei", "Carlos", "Ingrid", "Dev", "Nora", "Felix"]
LAST_NAMES = ["Shaw", "Okoro", "Nair", "Ellis", "Cole", "Berg", "Marin", "Price", "Haddad"]
LAST_NAMES += ["Walsh", "Iqbal", "Novak", "Reyes", "Lund", "Adeyemi", "Moreau"]
TITLES = ["Head of Operations", "Finance Director", "IT Security Lead", "Business Manager"]
TITLES += ["Operations Lead", "Matron", "Head Teacher", "Plant Manager", ""]
NOTES = [
    "Walked through last quarter's numbers together.",
    "They count the cost of the problem every month now.",
    "Asked who else feels it; the night team does.",
    "Finance wants payback numbers before any pilot.",
    "Showed how the board would look for their team.",
    "Agreed to meet the operations lead next week.",
    "No budget until the new financial year.",
    "They are talking to another supplier as well.",
    "Left a message, no answer yet.",
    "",
]
EMOTIONS = ["", "", "", "Frustrated", "Tired of firefighting", "Hopeful", "Wary of IT", "Relieved"]
WHYS = [
    "We lose two shifts a month to stoppages nobody sees coming.",
    "Parents chase us by phone because messages go missing.",
    "Beds stay blocked over the weekend because discharges stall on Fridays.",
    "Every audit finds the same gaps and we fix them by hand.",
    "Rotas are rebuilt every morning and still run late.",
    "The board asked why overtime doubled, and nobody could answer.",
]
NEXT_STEPS = ["", "Agree the pilot scope", "Meet finance", "Send the security pack", "Site visit"]
ADDED_STEPS = [
    ("Reference call with another customer", OwnerSide.US),
    ("Finance review of the business case", OwnerSide.PROSPECT),
    ("Data protection impact assessment", OwnerSide.PROSPECT),
    ("Workshop with the people who feel the problem", OwnerSide.BOTH),
    ("Contract review by legal", OwnerSide.PROSPECT),
    ("Agree success measures for the pilot", OwnerSide.BOTH),
]
PURPOSES = [
    "Hear whether the pilot scope still fits",
    "Find out who else feels the problem",
    "Confirm who signs off the change",
    "Ask whether the numbers they shared still hold",
    "Check the next step in their plan is still theirs",
]
HOLD_RULES = ["after_conversation", "after_soe_step", "dragging_evaluation", "end_of_quarter"]
HOLD_RULES += [None, None]
PURPOSE_AFTER = "Hear how the {kind} conversation sits with them — does it still answer their why?"
DRAFTS = ["Could we look at this together next week?", "", "Short note: how did the board go?"]
CLOSE_NOTES = ["", "", "They went quiet after the demo", "Budget moved to another project"]
EARLY_REASONS = ["They asked us to call today", "Their board meets tomorrow"]
DISMISS_REASONS = ["They already answered on the phone", "The deal moved on without it"]
SKIP_REASON = "Not needed: they agreed to go without it"
RECEPTION_NOTE = "They do not want to commit to dates yet."
CURRENCIES = [Currency.EUR] * 14 + [Currency.GBP] * 3 + [Currency.USD] * 2 + [Currency.CHF]
KINDS_IN_ORDER = [
    ConversationKind.INITIAL_OUTREACH,
    ConversationKind.QUALIFYING,
    ConversationKind.SOLUTION_DEVELOPMENT,
    ConversationKind.EVALUATION_CHECK_IN,
    ConversationKind.DECISION,
]
RECEPTIONS = ["keen"] * 4 + ["lukewarm", "lukewarm", "declined"] + ["not_shared"] * 3
# Django computes an enum's .values afresh on each use: read them once.
CHANNELS = list(Channel.values)
BUYING_ROLES = list(Contact.BuyingRole.values)
ANSWERS = ("has_problem", "accepts_significance", "ready_to_act")
UNKNOWN_STATE = (Answer.UNKNOWN.value,) * 3

# The tables COPY fills and the columns written. Leaf tables (True) have nothing pointing
# at them: their ids come from the column default (the same sequence) as COPY inserts, so
# id blocks are reserved up front only for the parents.
COPY_TABLES: dict[str, tuple[type[Model] | Any, list[str], bool]] = {
    model._meta.db_table: (model, columns.split(), leaf)
    for model, columns, leaf in [
        (
            Account,
            "id name website segment_id lead_source_id owner_id status disqualified_reason "
            "has_problem has_problem_changed_at accepts_significance "
            "accepts_significance_changed_at ready_to_act ready_to_act_changed_at "
            "created_at updated_at",
            False,
        ),
        (Contact, "id account_id name title email phone buying_role", False),
        (
            Conversation,
            "id account_id logged_by_id occurred_at channel kind notes emotion_found "
            "has_problem accepts_significance ready_to_act created_at",
            False,
        ),
        (Conversation.contacts.through, "conversation_id contact_id", True),
        (Conversation.questions_asked.through, "conversation_id facilitativequestion_id", True),
        (WhyNote, "id account_id text said_by_id said_on recorded_by_id created_at", False),
        (
            AccountEvent,
            "account_id kind occurred_at actor_id conversation_id why_note_id summary",
            True,
        ),
        (
            Opportunity,
            "id account_id name owner_id pipeline_id stage_id value currency "
            "expected_close_date lead_source_id next_step close_reason_id closed_at stuck_since "
            "furthest_rank qualified_at qualified_has_problem qualified_accepts_significance "
            "qualified_ready_to_act specialist_override_note created_at updated_at",
            False,
        ),
        (
            StageChange,
            "opportunity_id from_stage_id to_stage_id at by_id note reason_id "
            "has_problem accepts_significance ready_to_act left_at",
            True,
        ),
        (
            Sequence,
            "id opportunity_id template_id reception reception_note reception_at created_at",
            False,
        ),
        (
            SoeStep,
            "id sequence_id position text kind_id proposed_by_id proposed_on "
            "source_conversation_id owner_side responsible_contact_id responsible_user_id "
            "target_date first_target_date notes status done_on skip_reason updated_at",
            False,
        ),
        (SoeChange, "sequence_id step_id action at by_id summary old_target_date", True),
        (
            FollowUp,
            "id account_id opportunity_id owner_id channel draft purpose status review "
            "review_comment surface_at holds end_of_quarter proposed surfaced_at "
            "surfaced_early_reason closed_at dismissed_reason created_at",
            False,
        ),
        (FollowUpEvent, "follow_up_id action at by_id note", True),
    ]
}

# Every table the data set writes to, for ANALYZE and for the report.
ANALYZED: list[type[Model] | Any] = [User, Team, *(model for model, _, _ in COPY_TABLES.values())]
ANALYZED += [Review, Participant, Item, Group, Vote, Action, PhaseChange]


# --- CSV text -------------------------------------------------------------------------------


def q(text: str) -> str:
    """A CSV text value, always quoted: in COPY's CSV format an unquoted empty field is
    NULL, and these columns are NOT NULL with "" for blank."""
    return '"' + text.replace('"', '""') + '"'


def _n(value: int | None) -> str:
    return "" if value is None else str(value)


class Clock:
    """Times as whole epoch seconds (UTC) while generating, written as timestamptz text;
    dates in the site's time zone, as timezone.localdate() would give them."""

    def __init__(self, now: datetime) -> None:
        self.now = int(now.timestamp())
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self._days: dict[int, str] = {}
        self._local: dict[int, date] = {}
        self.today = self.local_date(self.now)
        # Tens of millions of times are written: a day's text and a time of day's text,
        # looked up and joined, cost a fraction of formatting each one.
        self._seconds = [
            f" {h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)
        ]

    def ts(self, seconds: int) -> str:
        day, rest = divmod(seconds, 86_400)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
        return text + self._seconds[rest]

    def local_date(self, seconds: int) -> date:
        # By the hour: the zone's offset never changes inside an hour.
        hour = seconds // 3600
        day = self._local.get(hour)
        if day is None:
            day = self._local[hour] = datetime.fromtimestamp(hour * 3600, self.zone).date()
        return day

    def morning(self, day: date) -> int:
        """Ten in the morning of a local day: when a dated step is marked."""
        moment = datetime.combine(day, datetime.min.time(), self.zone) + timedelta(hours=10)
        return int(moment.timestamp())

    def iso(self, seconds: int) -> str:
        """As datetime.isoformat() writes it (what patience keeps in a hold's "until")."""
        return self.ts(seconds).replace(" ", "T")[:-3] + "+00:00"


# --- The plan: every count decided up front, so id blocks can be reserved ------------------


@dataclass
class Plan:
    size: Size
    owner: list[int]  # rep index per account
    start: list[int]  # account created, epoch seconds
    contacts: list[int]
    conversations: list[int]
    deals: list[int]
    followups: list[int]
    whys: list[int]
    deal_open: list[bool]
    deal_won: list[bool]
    deal_changes: list[int]
    deal_steps: list[int]  # SOE steps of the deal; 0 = no SOE
    followup_status: list[str]  # held (later), due (held, surface_at passed), or a status


def _allocate(rng: random.Random, total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """`total` spread over len(weights) slots in proportion to the weights, each slot at
    least `minimum`: exact totals with natural variance (a multinomial draw)."""
    counts = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    if rest < 0:
        raise ValueError(f"{total} is too few for {len(weights)} slots of {minimum}")
    cumulative = list(itertools.accumulate(weights))
    for slot in rng.choices(range(len(weights)), cum_weights=cumulative, k=rest):
        counts[slot] += 1
    return counts


def rep_weights(reps: int) -> list[float]:
    # Skewed like real teams: the first rep owns some twenty times the last one's accounts.
    return [1 / (r + 1) ** 0.8 for r in range(reps)]


def make_plan(size: Size, seed: int, now: int) -> Plan:
    rng = random.Random(f"{seed}:plan")
    n = size.accounts
    day = 86_400
    owner, start, big = [], [], []
    reps = rep_weights(size.reps)
    for i in range(n):
        if i < size.key_accounts:
            # The big accounts: old, owned by the busiest reps, with most of the history.
            big.append(200 / (i + 1) ** 0.7)
            owner.append(i % min(5, size.reps))
            start.append(now - int(size.history_days * day * rng.uniform(0.9, 1.0)))
        else:
            big.append(1.0)
            owner.append(rng.choices(range(size.reps), reps)[0])
            start.append(now - int(day * rng.uniform(20, size.history_days)))
    talk = [rng.lognormvariate(0, 0.9) * b for b in big]
    deal = [rng.lognormvariate(0, 0.6) * (1 + (b - 1) / 8) for b in big]
    people = [rng.lognormvariate(0, 0.5) * (1 + (b - 1) / 20) for b in big]
    plan = Plan(
        size=size,
        owner=owner,
        start=start,
        contacts=_allocate(rng, size.contacts, people, minimum=1),
        conversations=_allocate(rng, size.conversations, talk, minimum=1),
        deals=_allocate(rng, size.opportunities, deal),
        followups=_allocate(rng, size.followups, [w**0.8 for w in talk]),
        whys=rng.choices([0, 1, 1, 1, 2, 3], k=n),
        deal_open=[],
        deal_won=[],
        deal_changes=[],
        deal_steps=[],
        followup_status=[],
    )
    d = size.opportunities
    open_set = set(rng.sample(range(d), size.open_opportunities))
    plan.deal_open = [i in open_set for i in range(d)]
    plan.deal_won = [not is_open and rng.random() < 0.45 for is_open in plan.deal_open]
    # Every deal opens (one change); a closed one also closes (two). The rest of the history
    # goes mostly to a few: one deal in 500 is a saga that went back and forth for months.
    base = [1 if is_open else 2 for is_open in plan.deal_open]
    weights = [rng.lognormvariate(0, 0.8) * (30 if i % 500 == 0 else 1) for i in range(d)]
    extra = _allocate(rng, size.stage_changes - sum(base), weights)
    plan.deal_changes = [b + e for b, e in zip(base, extra, strict=True)]
    # SOEs on deals that went far enough for one (three stages or more), then any.
    went_far = [i for i in range(d) if plan.deal_changes[i] - (not plan.deal_open[i]) >= 3]
    chosen = rng.sample(went_far, min(size.sequences, len(went_far)))
    if len(chosen) < size.sequences:
        others = sorted(set(range(d)) - set(chosen))
        chosen += rng.sample(others, size.sequences - len(chosen))
    chosen.sort()
    steps = _allocate(rng, size.soe_steps, [rng.lognormvariate(0, 0.5) for _ in chosen], 2)
    plan.deal_steps = [0] * d
    for i, count in zip(chosen, steps, strict=True):
        plan.deal_steps[i] = count
    rest = size.followups - size.held_followups
    statuses = ["due"] * size.due_followups + ["held"] * (size.held_followups - size.due_followups)
    surfaced = rest // 10
    done = rest * 6 // 10
    statuses += ["surfaced"] * surfaced + ["done"] * done + ["dismissed"] * (rest - surfaced - done)
    rng.shuffle(statuses)
    plan.followup_status = statuses
    return plan


# --- Reference data and people ------------------------------------------------------------


@dataclass
class Context:
    clock: Clock
    pipeline: Pipeline
    open_stages: list[Stage]
    won: Stage
    lost: Stage
    won_reasons: list[CloseReason]
    lost_reasons: list[CloseReason]  # lost and disqualified: both fit a lost deal
    segments: list[Any]
    sources: list[Any]
    templates: dict[int, tuple[SoeTemplate, list[Any]]]  # by segment id
    questions: dict[str, list[int]]  # active question ids by conversation kind
    rules: dict[str, PatienceRule]
    reps: list[User]
    managers: list[User]  # by team index
    team_of: list[int]  # team index by rep index
    teammates: list[list[int]]  # rep indexes by team index
    sales_ops: User
    admin: User


def seed_reference_data() -> None:
    """The default pipeline, close reasons, patience rules, segments, lead sources, step
    kinds and SOE templates, by the functions the migrations and seed_demo use; each
    creates only what is missing."""
    for module, function in [
        ("pipeline.migrations.0002_default_pipeline", "add_default_pipeline"),
        ("pipeline.migrations.0004_close_reasons", "add_reasons"),
        ("pipeline.migrations.0007_default_patience_rules", "add_rules"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)
    seed_segments_and_sources()
    seed_soe_templates()


def _people(size: Size) -> tuple[list[User], list[User], User, User]:
    """The scale users and teams, with no usable password: sign in as them with
    force_login (the benchmark and the tests do) or set a password in the admin."""
    names = itertools.cycle(itertools.product(FIRST_NAMES, LAST_NAMES))
    wanted = [(f"{PREFIX}admin", User.Role.ADMIN), (f"{PREFIX}ops", User.Role.SALES_OPS)]
    wanted += [(f"{PREFIX}manager-{t + 1}", User.Role.MANAGER) for t in range(size.teams)]
    wanted += [(f"{PREFIX}rep-{r + 1:02d}", User.Role.REP) for r in range(size.reps)]
    users = []
    for username, role in wanted:
        first, last = next(names)
        user = User(username=username, role=role, first_name=first, last_name=last)
        user.email = f"{username}@scale.salesflow.test"
        core_services.user_apply_role(user=user)
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    by_name = {user.username: user for user in User.objects.filter(username__startswith=PREFIX)}
    managers = []
    for t in range(size.teams):
        manager = by_name[f"{PREFIX}manager-{t + 1}"]
        core_services.team_create(name=f"{PREFIX}team-{t + 1}", manager=manager)
        managers.append(User.objects.get(pk=manager.pk))
    reps = [by_name[f"{PREFIX}rep-{r + 1:02d}"] for r in range(size.reps)]
    for r, rep in enumerate(reps):
        rep.team_id = managers[r % size.teams].team_id
    User.objects.bulk_update(reps, ["team"])
    return reps, managers, by_name[f"{PREFIX}ops"], by_name[f"{PREFIX}admin"]


def _context(size: Size, now: datetime) -> Context:
    seed_reference_data()
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position", "pk"))
    open_stages = [stage for stage in stages if stage.outcome == Stage.Outcome.OPEN]
    won = next((stage for stage in stages if stage.outcome == Stage.Outcome.WON), None)
    lost = next((stage for stage in stages if stage.outcome == Stage.Outcome.LOST), None)
    if len(open_stages) < 2 or won is None or lost is None:
        raise ValueError(f"The default pipeline {pipeline} needs open stages, a won and a lost.")
    reasons = list(CloseReason.objects.filter(active=True).order_by("kind", "position", "pk"))
    won_reasons = [reason for reason in reasons if reason.fits(Stage.Outcome.WON)]
    lost_reasons = [reason for reason in reasons if reason.fits(Stage.Outcome.LOST)]
    if not won_reasons or not lost_reasons:
        raise ValueError("The data set needs an active close reason for won and for lost deals.")
    by_name, source_by_name = seed_segments_and_sources()
    segments, sources = list(by_name.values()), list(source_by_name.values())
    templates = {}
    for segment in segments:
        template = SoeTemplate.objects.filter(segment=segment).order_by("name").first()
        if template is not None:
            templates[segment.pk] = (template, list(template.steps.order_by("position", "pk")))
    questions: dict[str, list[int]] = {}
    for pk, kind in FacilitativeQuestion.objects.filter(active=True).values_list("pk", "kind"):
        questions.setdefault(kind, []).append(pk)
    rules = {rule.kind: rule for rule in PatienceRule.objects.filter(active=True).order_by("pk")}
    reps, managers, ops, admin = _people(size)
    team_of = [r % size.teams for r in range(size.reps)]
    teammates = [[r for r in range(size.reps) if team_of[r] == t] for t in range(size.teams)]
    return Context(
        clock=Clock(now),
        pipeline=pipeline,
        open_stages=open_stages,
        won=won,
        lost=lost,
        won_reasons=won_reasons,
        lost_reasons=lost_reasons,
        segments=sorted(segments, key=lambda s: s.name),
        sources=sorted(sources, key=lambda s: s.name),
        templates=templates,
        questions=questions,
        rules=rules,
        reps=reps,
        managers=managers,
        team_of=team_of,
        teammates=teammates,
        sales_ops=ops,
        admin=admin,
    )


# --- Ids ------------------------------------------------------------------------------------


def reserve_ids(table: str, count: int) -> int:
    """The first of `count` consecutive ids taken from the table's own sequence in one
    statement: later inserts by anyone continue after the block."""
    if count == 0:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


# --- Rows -----------------------------------------------------------------------------------


@dataclass
class Buffers:
    """One chunk's CSV lines per table."""

    lines: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in COPY_TABLES})


@dataclass
class AccountFacts:
    """What the deals, SOEs and follow-ups of an account need to know about it."""

    id: int
    owner: int
    manager: int
    mates: list[int]  # the owner's teammates (or the owner alone)
    source: int
    segment: int
    start: int
    contacts: list[int]
    first_talk: int  # id of the first conversation; the others follow in time order
    talk_times: list[int]
    talk_kinds: list[str]
    ready_times: list[int]  # when the account's readiness answers changed…
    ready_states: list[tuple[str, ...]]  # …and what they became


class Generator:
    """Turns the plan into CSV lines, one account (with everything hanging off it) at a
    time, in account order; ids are the reserved bases plus a running index."""

    def __init__(self, plan: Plan, ctx: Context, seed: int) -> None:
        self.plan, self.ctx, self.seed = plan, ctx, seed
        self.clock = ctx.clock
        self.rng = random.Random(f"{seed}:rows")
        self.base: dict[str, int] = {}
        self.next = {"contact": 0, "conversation": 0, "why": 0, "deal": 0, "sequence": 0}
        self.next |= {"step": 0, "followup": 0}
        self.counts = dict.fromkeys(COPY_TABLES, 0)
        self.now = self.clock.now
        self.q_notes = [q(text) for text in NOTES]
        self.q_emotions = [q(text) for text in EMOTIONS]
        self.q_whys = [q(text) for text in WHYS]
        # The funnel rank pipeline.flow gives a stage: its position if open, WON_RANK if won.
        self.rank = {stage.pk: stage.position for stage in ctx.open_stages}
        self.rank[ctx.won.pk] = flow.WON_RANK

    # The caller reserves id blocks for the parent tables before the first chunk.
    def reserve(self) -> None:
        plan = self.plan
        wanted = {
            "account": (Account, plan.size.accounts),
            "contact": (Contact, plan.size.contacts),
            "conversation": (Conversation, plan.size.conversations),
            "why": (WhyNote, sum(plan.whys)),
            "deal": (Opportunity, plan.size.opportunities),
            "sequence": (Sequence, plan.size.sequences),
            "step": (SoeStep, plan.size.soe_steps),
            "followup": (FollowUp, plan.size.followups),
        }
        for key, (model, count) in wanted.items():
            self.base[key] = reserve_ids(model._meta.db_table, count)

    def chunks(self) -> Iterator[Buffers]:
        size = self.plan.size.accounts
        for first in range(0, size, CHUNK_ACCOUNTS):
            buffers = Buffers()
            for i in range(first, min(first + CHUNK_ACCOUNTS, size)):
                self.account(i, buffers.lines)
            for table, lines in buffers.lines.items():
                self.counts[table] += len(lines)
            yield buffers

    def _take(self, key: str, count: int = 1) -> int:
        first = self.base[key] + self.next[key]
        self.next[key] += count
        return first

    # --- one account and everything on it ---

    def account(self, i: int, out: dict[str, list[str]]) -> None:
        rng, ctx, plan, t = self.rng, self.ctx, self.plan, self.clock
        now = self.now
        account_id = self.base["account"] + i
        rep = plan.owner[i]
        owner = ctx.reps[rep].pk
        team = ctx.team_of[rep]
        mates = [ctx.reps[r].pk for r in ctx.teammates[team] if r != rep] or [owner]
        manager = ctx.managers[team].pk
        segment = ctx.segments[i % len(ctx.segments)]
        source = ctx.sources[rng.randrange(len(ctx.sources))]
        start = plan.start[i]
        events = out["prospects_accountevent"]

        # Contacts: the first is the champion.
        n_contacts = plan.contacts[i]
        first_contact = self._take("contact", n_contacts)
        contacts = list(range(first_contact, first_contact + n_contacts))
        domain = f"{PREFIX}{i}.example.com"
        lines = out["prospects_contact"]
        for c, contact_id in enumerate(contacts):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            role = "champion" if c == 0 else rng.choice(BUYING_ROLES)
            email = f"{first}.{last}{c}@{domain}".lower()
            title = rng.choice(TITLES)
            lines.append(f'{contact_id},{account_id},"{first} {last}",{q(title)},{email},"",{role}')

        # Deals are decided first: whether the account wins anything sets how eager its
        # prospect sounds in the conversations.
        d0 = self.next["deal"]
        self._take("deal", plan.deals[i])
        deal_numbers = range(d0, d0 + plan.deals[i])
        eager = any(plan.deal_won[d] for d in deal_numbers)

        # Conversations, further along the story each time. An answer once given stands until
        # another conversation changes it, as conversation_log keeps it on the account.
        n_talks = plan.conversations[i]
        first_talk = self._take("conversation", n_talks)
        span = now - 7200 - start - 3600
        moments = sorted(start + 3600 + int(span * rng.random()) for _ in range(n_talks))
        turns = [rng.uniform(0, 0.5 if eager else 1.3) for _ in ANSWERS]
        doubtful = rng.random() < 0.2
        state = list(UNKNOWN_STATE)
        changed: list[int | None] = [None, None, None]
        ready_times: list[int] = []
        ready_states: list[tuple[str, ...]] = []
        lines = out["prospects_conversation"]
        links = out["prospects_conversation_contacts"]
        asked = out["prospects_conversation_questions_asked"]
        talk_kinds: list[str] = []
        for n, at in enumerate(moments):
            talk_id = first_talk + n
            progress = n / n_talks
            kind = KINDS_IN_ORDER[min(4, int(progress * 5))] if rng.random() > 0.05 else "other"
            talk_kinds.append(kind)
            answers = []
            for a, turn in enumerate(turns):
                roll = rng.random()
                if progress >= turn:
                    answer = "yes" if roll < 0.5 else "unknown"
                else:
                    answer = "no" if doubtful and roll < 0.3 else "unknown"
                answers.append(answer)
                if answer != "unknown" and answer != state[a]:
                    state[a] = answer
                    changed[a] = at
            if ready_states == [] or tuple(state) != ready_states[-1]:
                ready_times.append(at)
                ready_states.append(tuple(state))
            # The owner logs it, now and then the team's manager: the only people besides
            # sales ops who may edit the account (teammates see it read-only).
            by = owner if rng.random() < 0.92 else manager
            stamp = t.ts(at)
            lines.append(
                f"{talk_id},{account_id},{by},{stamp},{rng.choice(CHANNELS)},{kind},"
                f"{rng.choice(self.q_notes)},{rng.choice(self.q_emotions)},"
                f"{answers[0]},{answers[1]},{answers[2]},{stamp}"
            )
            # One contact, sometimes two: whoever was on the call.
            met = rng.randrange(n_contacts)
            links.append(f"{talk_id},{contacts[met]}")
            if n_contacts > 1 and rng.random() < 0.2:
                links.append(f"{talk_id},{contacts[(met + 1) % n_contacts]}")
            if rng.random() < 0.1 and ctx.questions.get(kind):
                asked.append(f"{talk_id},{rng.choice(ctx.questions[kind])}")
            events.append(f'{account_id},conversation,{stamp},{by},{talk_id},,""')

        # The why, in versions: each a little after the conversation it came up in.
        lines = out["prospects_whynote"]
        n_whys = plan.whys[i]
        if n_whys:
            first_why = self._take("why", n_whys)
            picks = sorted(rng.sample(range(n_talks), min(n_whys, n_talks)))
            while len(picks) < n_whys:
                picks.append(picks[-1])
            recorded = moments[picks[0]]
            for v, pick in enumerate(picks):
                said = moments[pick]
                recorded = max(said, recorded) + rng.randint(60, 3600)
                recorded = min(recorded, now - 60)
                why_id = first_why + v
                said_by = contacts[0] if rng.random() < 0.8 else ""
                lines.append(
                    f"{why_id},{account_id},{rng.choice(self.q_whys)},{said_by},"
                    f"{t.local_date(said)},{owner},{t.ts(recorded)}"
                )
                events.append(f'{account_id},why,{t.ts(recorded)},{owner},,{why_id},""')

        events.append(f'{account_id},created,{t.ts(start)},{owner},,,""')

        facts = AccountFacts(
            id=account_id,
            owner=owner,
            manager=manager,
            mates=mates,
            source=source.pk,
            segment=segment.pk,
            start=start,
            contacts=contacts,
            first_talk=first_talk,
            talk_times=moments,
            talk_kinds=talk_kinds,
            ready_times=ready_times,
            ready_states=ready_states,
        )
        # Deals on the account, each with its history, perhaps an SOE.
        won_at: int | None = None
        last_close: tuple[int, CloseReason] | None = None
        open_deals: list[tuple[int, int]] = []  # (id, owner)
        all_deals: list[tuple[int, int]] = []
        last_activity = moments[-1]
        for d in deal_numbers:
            deal_id = self.base["deal"] + d
            deal_owner = owner if rng.random() < 0.9 else rng.choice(mates)
            closed, close_reason = self.deal(d, deal_id, deal_owner, facts, out)
            all_deals.append((deal_id, deal_owner))
            if closed is None:
                open_deals.append((deal_id, deal_owner))
            else:
                last_activity = max(last_activity, closed)
                if close_reason.kind == CloseReason.Kind.WON:
                    won_at = closed if won_at is None else min(won_at, closed)
                if last_close is None or closed > last_close[0]:
                    last_close = (closed, close_reason)

        # Status, as account_update records it: customers won something; a few whose deals
        # were all disqualified are disqualified themselves.
        status, reason_text = "prospect", ""
        updated = max(ready_times[-1], start)
        if won_at is not None:
            status = "customer"
            events.append(
                f"{account_id},status,{t.ts(won_at + 60)},{owner},,,{q('Prospect → Customer')}"
            )
            updated = max(updated, won_at + 60)
        elif (
            not open_deals
            and last_close is not None
            and last_close[1].kind == CloseReason.Kind.DISQUALIFIED
            and rng.random() < 0.5
        ):
            status, reason_text = "disqualified", last_close[1].name
            at = min(last_close[0] + 3600, now - 60)
            summary = q(f"Prospect → Disqualified: {reason_text}")
            events.append(f"{account_id},status,{t.ts(at)},{owner},,,{summary}")
            updated = max(updated, at)

        readiness = ",".join(
            f"{state[a]},{t.ts(changed[a]) if changed[a] is not None else ''}" for a in range(3)
        )
        kinds = ORGANISATIONS.get(segment.name, ["Ltd"])
        name = q(f"{PREFIX}{i:06d} {rng.choice(PLACES)} {rng.choice(kinds)}")
        website = f"https://{domain}" if rng.random() < 0.7 else ""
        out["prospects_account"].append(
            f"{account_id},{name},{q(website)},{segment.pk},{source.pk},{owner},{status},"
            f"{q(reason_text)},{readiness},{t.ts(start)},{t.ts(updated)}"
        )
        self.followups(i, facts, open_deals, all_deals, out)

    # --- a deal ---

    def _path(self, n_open: int, outcome: str) -> list[Stage]:
        """`n_open` stays in open stages: forward mostly, now and then a skip or a step back
        (forced back at the last open stage when the story goes on)."""
        rng, stages = self.rng, self.ctx.open_stages
        last = len(stages) - 1
        pos = 1 if n_open > 1 and rng.random() < 0.1 else 0
        path = [pos]
        for _ in range(n_open - 1):
            if pos == last or (pos > 0 and rng.random() < 0.08):
                pos -= 1
            else:
                pos += 2 if pos + 2 <= last and rng.random() < 0.12 else 1
            path.append(pos)
        result = [stages[p] for p in path]
        if outcome != "open":
            result.append(self.ctx.won if outcome == "won" else self.ctx.lost)
        return result

    def deal(
        self,
        d: int,
        deal_id: int,
        owner: int,
        account: AccountFacts,
        out: dict[str, list[str]],
    ) -> tuple[int | None, CloseReason | None]:
        """One deal and its stage history; returns (closed at, reason) for a closed one."""
        rng, ctx, t, plan = self.rng, self.ctx, self.clock, self.plan
        now, start = self.now, account.start
        ready_times, ready_states = account.ready_times, account.ready_states
        is_open = plan.deal_open[d]
        moves = plan.deal_changes[d]
        outcome = "open" if is_open else "won" if plan.deal_won[d] else "lost"
        path = self._path(moves - (not is_open), outcome)
        # When: opened some time in the account's life (open deals lately), moves days to
        # weeks apart, squeezed in before now if the story is long.
        end = now - 3600
        room = end - start - 3600
        if is_open:
            opened = max(start + 3600, end - int(86_400 * rng.uniform(3, 400)))
        else:
            opened = start + 3600 + int(room * rng.uniform(0, 0.8))
        opened = min(opened, end - 600 * moves)
        gaps = [rng.uniform(2, 40) * 86_400 for _ in range(moves - 1)]
        scale = min(1.0, (end - opened) * 0.95 / sum(gaps)) if gaps else 1.0
        moments = [opened]
        for gap in gaps:
            moments.append(moments[-1] + max(int(gap * scale), 60))
        reason = None
        if outcome != "open":
            reason = rng.choice(ctx.won_reasons if outcome == "won" else ctx.lost_reasons)
        lines = out["pipeline_stagechange"]
        furthest = -1
        qualified: tuple[int, tuple[str, ...]] | None = None
        for step, (stage, at) in enumerate(zip(path, moments, strict=True)):
            answers = (
                ready_states[bisect_right(ready_times, at) - 1]
                if at >= ready_times[0]
                else UNKNOWN_STATE
            )
            previous = path[step - 1] if step else None
            closing = stage.outcome != "open"
            note = q(rng.choice(CLOSE_NOTES)) if closing else '"Deal opened"' if step == 0 else '""'
            left = t.ts(moments[step + 1]) if step + 1 < len(moments) else ""
            # Opened by someone who may edit the account (a teammate's deal on it was
            # opened by the manager, who may hand deals to the team); moved by the deal's
            # owner or the manager.
            if step == 0 and owner != account.owner:
                by = account.manager
            else:
                by = owner if rng.random() < 0.92 else account.manager
            lines.append(
                f"{deal_id},{previous.pk if previous else ''},{stage.pk},{t.ts(at)},{by},{note},"
                f"{reason.pk if closing else ''},{answers[0]},{answers[1]},{answers[2]},{left}"
            )
            rank = self.rank.get(stage.pk, -1)
            furthest = max(furthest, rank)
            # Qualified: the first move on to a later open stage, or to won (pipeline.flow).
            if (
                qualified is None
                and previous is not None
                and (
                    stage.outcome == "won"
                    or (stage.outcome == "open" and stage.position > previous.position)
                )
            ):
                qualified = (at, answers)
        closed = moments[-1] if outcome != "open" else None
        value = rng.choice((2, 5, 8, 12, 20, 30, 45, 60, 90, 150)) * 1000 + rng.randint(0, 19) * 250
        if is_open:
            expected = t.local_date(opened) + timedelta(days=rng.randint(45, 200))
        else:
            expected = t.local_date(closed)
        q_at, q_answers = (t.ts(qualified[0]), qualified[1]) if qualified else ("", ('""',) * 3)
        name = q(f"{PREFIX}{d:06d} {rng.choice(PRODUCTS)}")
        next_step = q(rng.choice(NEXT_STEPS)) if is_open else '""'
        out["pipeline_opportunity"].append(
            f"{deal_id},{account.id},{name},{owner},{ctx.pipeline.pk},{path[-1].pk},{value}.00,"
            f"{rng.choice(CURRENCIES)},{expected},{account.source},{next_step},"
            f"{reason.pk if reason else ''},{t.ts(closed) if closed else ''},,{furthest},"
            f'{q_at},{q_answers[0]},{q_answers[1]},{q_answers[2]},"",'
            f"{t.ts(moments[0])},{t.ts(moments[-1])}"
        )
        if plan.deal_steps[d]:
            self.soe(plan.deal_steps[d], deal_id, owner, path, moments, closed, account, out)
        return closed, reason

    # --- an SOE ---

    def soe(
        self,
        n_steps: int,
        deal_id: int,
        owner: int,
        path: list[Stage],
        moments: list[int],
        closed: int | None,
        account: AccountFacts,
        out: dict[str, list[str]],
    ) -> None:
        """Started when the deal reached solution development (or on opening): template
        steps when there is room for the whole template, added steps after, dates moved,
        steps done, skipped or still open, and how the prospect received it."""
        rng, ctx, t = self.rng, self.ctx, self.clock
        now = self.now
        sequence_id = self._take("sequence")
        first_step = self._take("step", n_steps)
        later = {stage.pk for stage in ctx.open_stages[2:]}
        reached = (at for stage, at in zip(path, moments, strict=True) if stage.pk in later)
        entered = next(reached, moments[0])
        finished = closed if closed is not None else now
        started = max(moments[0], min(entered + 600, finished - 120))
        template, seeds = ctx.templates.get(account.segment, (None, []))
        if template is None or len(seeds) > n_steps or rng.random() < 0.1:
            template, seeds = None, []
        changes = out["pipeline_soechange"]
        summary = q(f"From the template “{template.name}”" if template else "Blank")
        changes.append(f"{sequence_id},,started,{t.ts(started)},{owner},{summary},")
        # The conversation the steps came up in: the account's last one before the start.
        heard = bisect_right(account.talk_times, started) - 1
        talk_id = str(account.first_talk + heard) if heard >= 0 else ""
        champion, last_contact = account.contacts[0], account.contacts[-1]
        today = t.today
        lines = out["pipeline_soestep"]
        step_times = [started]
        for position in range(n_steps):
            step_id = first_step + position
            if position < len(seeds):
                seed = seeds[position]
                text, kind, side = seed.text, seed.kind_id, seed.owner_side
                days = seed.days_after_start or 14
                added = started
                proposed_by, source_talk = "", ""
            else:
                text, side = ADDED_STEPS[rng.randrange(len(ADDED_STEPS))]
                kind = None
                added = step_times[-1] + rng.randint(600, 10 * 86_400)
                added = min(added, finished - 60, now - 60)
                added = max(added, started)
                days = rng.randint(7, 60)
                proposed_by, source_talk = champion, talk_id
                changes.append(f"{sequence_id},{step_id},added,{t.ts(added)},{owner},{q(text)},")
            step_times.append(added)
            added_on = t.local_date(added)
            first_target = added_on + timedelta(days=days)
            target = first_target
            touched = added
            if rng.random() < 0.25:  # the date moved once, later
                target = first_target + timedelta(days=rng.randint(5, 30))
                moved_at = min(max(t.morning(first_target), added + 60), now - 60)
                touched = max(touched, moved_at)
                changes.append(
                    f"{sequence_id},{step_id},date_moved,{t.ts(moved_at)},{owner},"
                    f"{q(f'{text}: {first_target} → {target}')},{first_target}"
                )
            deadline = t.local_date(finished)
            done_on = target + timedelta(days=rng.randint(-5, 15))
            done_on = max(done_on, added_on)
            status, skip, done = "open", "", ""
            roll = rng.random()
            if roll < 0.05:
                status, skip = "skipped", SKIP_REASON
                at = min(added + rng.randint(3600, 20 * 86_400), finished, now - 60)
                at = max(at, added + 1)
                touched = max(touched, at)
                changes.append(
                    f"{sequence_id},{step_id},skipped,{t.ts(at)},{owner},{q(f'{text}: {skip}')},"
                )
            elif done_on <= min(deadline, today) and roll < 0.8:
                status, done = "done", done_on.isoformat()
                at = min(max(t.morning(done_on), added + 60), now - 60)
                touched = max(touched, at)
                changes.append(f"{sequence_id},{step_id},done,{t.ts(at)},{owner},{q(text)},")
            responsible_user = owner if side != OwnerSide.PROSPECT else ""
            responsible_contact = last_contact if side == OwnerSide.PROSPECT else ""
            lines.append(
                f"{step_id},{sequence_id},{position},{q(text)},{_n(kind)},{proposed_by},"
                f"{added_on},{source_talk},{side},{responsible_contact},{responsible_user},"
                f'{target},{first_target},"",{status},{done},{q(skip)},{t.ts(touched)}'
            )
        reception, note, reception_at = rng.choice(RECEPTIONS), "", ""
        if reception != "not_shared":
            at = min(started + rng.randint(86_400, 10 * 86_400), now - 60)
            reception_at = t.ts(at)
            note = RECEPTION_NOTE if reception in {"lukewarm", "declined"} else ""
            label = Sequence.Reception(reception).label
            summary = q(f"{label}: {note}" if note else label)
            changes.append(f"{sequence_id},,reception,{reception_at},{owner},{summary},")
        out["pipeline_sequence"].append(
            f"{sequence_id},{deal_id},{template.pk if template else ''},{reception},{q(note)},"
            f"{reception_at},{t.ts(started)}"
        )

    # --- follow-ups ---

    def followups(
        self,
        i: int,
        account: AccountFacts,
        open_deals: list[tuple[int, int]],
        all_deals: list[tuple[int, int]],
        out: dict[str, list[str]],
    ) -> None:
        """Follow-ups in every state, each with the history followup_* services write."""
        rng, ctx, t = self.rng, self.ctx, self.clock
        now, start, owner = self.now, account.start, account.owner
        day = 86_400
        count = self.plan.followups[i]
        if not count:
            return
        first = self._take("followup", count)
        lines, events = out["pipeline_followup"], out["pipeline_followupevent"]
        rules = ctx.rules
        for k in range(count):
            follow_id = first + k
            status = self.plan.followup_status[follow_id - self.base["followup"]]
            held = status in {"held", "due"}
            deals = open_deals if held or rng.random() < 0.5 else all_deals
            deal_id, by = rng.choice(deals) if deals and rng.random() < 0.7 else (None, owner)
            # When it was drafted: held and surfaced ones lately, the rest at any time.
            if held:
                created = now - rng.randint(3600, 14 * day)
            elif status == "surfaced":
                created = now - rng.randint(2 * day, 60 * day)
            else:
                created = start + int((now - 3 * day - start) * rng.random())
            created = max(created, start + 60)
            proposed = rng.random() < 0.3
            if proposed:
                label = ConversationKind(account.talk_kinds[-1]).label.lower()
                purpose = PURPOSE_AFTER.format(kind=label)
            else:
                purpose = rng.choice(PURPOSES)
            # The hold patience wrote when it was drafted (a rule and until when), or none:
            # then it was due at once. One still held for later always has a hold.
            rule = rng.choice(HOLD_RULES)
            if status == "held":
                rule = rule or "after_conversation"
                # Two days ahead at least, so "due now" stays as loaded for a day or two.
                surface_at = now + rng.randint(2 * day, 30 * day)
            elif rule is None:
                surface_at = created
            elif status == "due":
                surface_at = created + int((now - 60 - created) * rng.random())
            else:
                surface_at = min(created + rng.randint(3600, 7 * day), now - day)
            if status == "held":
                rule = rule if rule in rules else next(iter(rules), None)
            elif rule not in rules or surface_at <= created:
                rule, surface_at = None, created
            if rule is None:
                holds, held_note = '"[]"', "no rule applies: due at once"
            else:
                held_note = rules[rule].why
                hold = {"rule": rule, "until": t.iso(surface_at), "why": held_note}
                holds = q(json.dumps([hold], ensure_ascii=False))
            end_of_quarter = "t" if rule == "end_of_quarter" else "f"
            # Drafted by someone who may edit the account; surfaced, done or dismissed by
            # its owner (followup_* allow the follow-up's owner too).
            drafted = "" if proposed else account.owner
            events.append(f"{follow_id},held,{t.ts(created)},{drafted},{q(held_note)}")
            surfaced_at = closed_at = ""
            early = dismissed = ""
            if not held:
                surfaced = surface_at
                if rng.random() < 0.05 and surface_at > created + 120:
                    surfaced = created + (surface_at - created) // 2
                    early = rng.choice(EARLY_REASONS)
                    events.append(f"{follow_id},surfaced early,{t.ts(surfaced)},{by},{q(early)}")
                else:
                    events.append(f'{follow_id},surfaced,{t.ts(surfaced)},,""')
                surfaced_at = t.ts(surfaced)
                if status in {"done", "dismissed"}:
                    closed = min(surfaced + rng.randint(600, 3 * day), now - 60)
                    closed_at = t.ts(closed)
                    if status == "dismissed":
                        dismissed = rng.choice(DISMISS_REASONS)
                    events.append(f"{follow_id},{status},{closed_at},{by},{q(dismissed)}")
            held_status = "held" if held else status
            lines.append(
                f"{follow_id},{account.id},{_n(deal_id)},{by},{rng.choice(CHANNELS)},"
                f'{q(rng.choice(DRAFTS))},{q(purpose)},{held_status},"","",{t.ts(surface_at)},'
                f"{holds},{end_of_quarter},{'t' if proposed else 'f'},{surfaced_at},{q(early)},"
                f"{closed_at},{q(dismissed)},{t.ts(created)}"
            )


# --- Loading --------------------------------------------------------------------------------


class Copier:
    """Streams COPY statements from a worker thread, on the load's own connection, while the
    main thread generates the next chunk: the two cores then work at once (psycopg2 lets go
    of the GIL while it waits on the server)."""

    def __init__(self) -> None:
        self.raw = connection.connection  # the psycopg2 connection inside the transaction
        self.jobs: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=3)
        self.seconds: dict[str, float] = dict.fromkeys(COPY_TABLES, 0.0)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="seed-scale-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.raw.cursor() as cursor:
                while (job := self.jobs.get()) is not None:
                    table, text = job
                    _, columns, _ = COPY_TABLES[table]
                    started = time.perf_counter()
                    cursor.copy_expert(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)",
                        io.StringIO(text),
                        size=1 << 20,
                    )
                    self.seconds[table] += time.perf_counter() - started
        except BaseException as error:  # noqa: BLE001 - handed to the main thread, raised there
            self.error = error
            while self.jobs.get() is not None:  # let the producer finish; nothing more is run
                pass

    def put(self, table: str, lines: list[str]) -> None:
        if lines:
            self.jobs.put((table, "\n".join(lines) + "\n"))
        if self.error is not None:
            self.finish()

    def finish(self) -> None:
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


@dataclass
class Dropped:
    """Secondary indexes and foreign keys of the loaded tables, as PostgreSQL printed them,
    dropped for the load and put back exactly as they were."""

    indexes: list[tuple[str, str, str]]  # (table, name, CREATE INDEX …)
    foreign_keys: list[tuple[str, str, str]]  # (table, name, FOREIGN KEY …)


def schema_of(tables: list[str]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """(table, name, definition) of every index and constraint on the tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [tables],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])",
            [tables],
        )
        constraints = set(cursor.fetchall())
    return indexes, constraints


def drop_secondary(tables: list[str]) -> Dropped:
    """Drop the non-unique indexes and the foreign keys of the tables. Primary keys, unique
    and check constraints stay: they keep the rows honest while they arrive."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.oid = ANY(%s::regclass[]) AND NOT x.indisunique AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY 1, 2",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        # The people and teams just written have deferred foreign-key checks pending, and
        # PostgreSQL alters no table with pending checks: run them now, then defer again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for _, name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return Dropped(indexes=indexes, foreign_keys=foreign_keys)


def restore_secondary(dropped: Dropped, seconds: dict[str, dict[str, float]]) -> None:
    """Build the indexes back (with the memory a sort of this size wants) and add the
    foreign keys back, which checks every row against its parent in one pass per key."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for table, _, definition in dropped.indexes:
            started = time.perf_counter()
            cursor.execute(definition)
            spent = seconds[table].get("indexes", 0.0) + time.perf_counter() - started
            seconds[table]["indexes"] = spent
        for table, name, definition in dropped.foreign_keys:
            started = time.perf_counter()
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            spent = seconds[table].get("indexes", 0.0) + time.perf_counter() - started
            seconds[table]["indexes"] = spent


# --- Reviews, through the services -------------------------------------------------------

PLUSSES = [
    "Asking for their why in the first call kept the deals honest",
    "Holding follow-ups back gave buyers room to come to us",
    "Lost-deal reviews with the prospect taught us more than our guesses",
    "Pipeline reviews started from the buyer's next step",
    "Sharing the SOE as a letter got it forwarded inside the account",
    "Product specialists joined only qualified deals",
]
DELTAS = [
    "We shared the SOE only after the demo",
    "Skipped the SOE when the buyer was in a hurry",
    "Lost reasons say price without saying why",
    "Proposals waited too long for an answer before anyone asked",
    "Pilots grew without anyone agreeing the scope",
    "Evaluations dragged while we chased instead of asking",
    "The why was recorded once and never revisited",
]
ACTIONS = [
    "Offer a draft SOE in every first qualified call",
    "Ask what happens if they do nothing before any proposal",
    "Hold proposals for a week, then ask the buyer what changed",
    "Write the buyer's own words in every lost reason",
    "Agree pilot scope in writing before it starts",
]


def seed_reviews(ctx: Context, size: Size, seed: int, now: datetime) -> None:
    """Finished plusses/deltas reviews, every few weeks over the data set's past, played
    through the services (phases, reveals round the room, groups, votes within the
    allowance, actions) and then moved back to when they happened."""
    from pipeline.reviews import services
    from pipeline.reviews.demo import run_review

    rng = random.Random(f"{seed}:reviews")
    scopes = list(Review.Scope)
    closed = list(
        Opportunity.objects.filter(name__startswith=PREFIX, closed_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    stage = ctx.open_stages[min(3, len(ctx.open_stages) - 1)]
    rule = next(iter(ctx.rules.values()), None)
    question = FacilitativeQuestion.objects.filter(active=True).order_by("pk").first()
    every = max(7, size.history_days // max(size.reviews, 1))
    for r in range(size.reviews):
        held = now - timedelta(days=every * (size.reviews - r), hours=rng.randint(0, 48))
        team = r % size.teams
        reps = [ctx.reps[i] for i in ctx.teammates[team]][:5]
        people = [ctx.managers[team], *reps]
        # Round the table: everyone writes something, so everyone takes part.
        deltas = rng.sample(DELTAS, rng.randint(3, 5))
        texts = [("plus", text) for text in rng.sample(PLUSSES, rng.randint(3, 4))]
        texts += [("delta", text) for text in deltas]
        written = [(people[n % len(people)], kind, text) for n, (kind, text) in enumerate(texts)]
        title = f"Group: {deltas[0]}"[:60]
        groups = {title: deltas[:2]}
        targets = [title, *deltas[2:]]
        votes = []
        allowance = 3
        for person in people:
            votes += [(person, rng.choice(targets)) for _ in range(rng.randint(0, allowance))]
        due = timezone.localdate(held)
        today = timezone.localdate(now)  # actions are due ahead when made; moved back below
        actions = [
            {
                "text": text,
                "owner": rng.choice(people),
                "due_on": today + timedelta(days=rng.randint(7, 45)),
                **({"stage": stage} if n == 0 else {}),
                **({"patience_rule": rule} if n == 1 and rule else {}),
                **({"question": question} if n == 2 and question else {}),
            }
            for n, text in enumerate(rng.sample(ACTIONS, rng.randint(1, 3)))
        ]
        scope = scopes[r % len(scopes)]
        setup: dict[str, Any] = {"scope": scope}
        if scope == Review.Scope.PIPELINE:
            setup["pipeline"] = ctx.pipeline
        elif scope == Review.Scope.QUARTER:
            month = (due.month - 1) // 3 * 3 + 1
            setup["quarter_start"] = date(due.year, month, 1)
        elif scope == Review.Scope.DEAL:
            if closed:
                setup["opportunity"] = Opportunity.objects.get(pk=closed[r % len(closed)])
            else:
                setup["scope"] = Review.Scope.PROCESS
        review = run_review(
            facilitator=ctx.sales_ops,
            title=f"{PREFIX}review {r + 1:02d}: {scope.label}",
            written=written,
            groups=groups,
            votes=votes,
            actions=actions,
            anonymous=rng.random() < 0.8,
            votes_each=allowance,
            **setup,
        )
        for action in review.actions.order_by("pk"):
            if rng.random() < 0.5:
                services.action_done(actor=ctx.sales_ops, action=action)
        _backdate_review(review, held)


def _backdate_review(review: Review, held: datetime) -> None:
    """Move every time of a review made just now back to when it was held, keeping their
    order and spacing."""
    shift = held - review.created_at
    with connection.cursor() as cursor:
        for model, columns in [
            (Review, ["created_at", "updated_at"]),
            (Item, ["created_at", "revealed_at"]),
            (Group, ["created_at"]),
            (Action, ["created_at", "done_at"]),
            (PhaseChange, ["at"]),
        ]:
            sets = ", ".join(f"{column} = {column} + %s" for column in columns)
            key = "id" if model is Review else "review_id"
            cursor.execute(
                f"UPDATE {model._meta.db_table} SET {sets} WHERE {key} = %s",
                [shift] * len(columns) + [review.pk],
            )
        # Due dates move with the day the review was held.
        cursor.execute(
            f"UPDATE {Action._meta.db_table} SET due_on = due_on + %s WHERE review_id = %s",
            [shift.days, review.pk],
        )


# --- The whole load -------------------------------------------------------------------------


def exists() -> bool:
    return (
        Team.objects.filter(name__startswith=PREFIX).exists()
        or User.objects.filter(username__startswith=PREFIX).exists()
        or Account.objects.filter(name__startswith=PREFIX).exists()
    )


def delete_existing() -> None:
    """Remove a previous scale data set, child tables first, by set-based DELETEs (the ORM
    would fetch every row to emulate cascades). Demo and other data are not touched."""
    accounts = "SELECT id FROM prospects_account WHERE name LIKE 'scale-%%'"
    deals = f"SELECT id FROM pipeline_opportunity WHERE account_id IN ({accounts})"
    sequences = f"SELECT id FROM pipeline_sequence WHERE opportunity_id IN ({deals})"
    followups = f"SELECT id FROM pipeline_followup WHERE account_id IN ({accounts})"
    talks = f"SELECT id FROM prospects_conversation WHERE account_id IN ({accounts})"
    reviews = "SELECT id FROM reviews_review WHERE title LIKE 'scale-%%'"
    users = "SELECT id FROM core_user WHERE username LIKE 'scale-%%'"
    statements = [
        *(
            f"DELETE FROM {model._meta.db_table} WHERE review_id IN ({reviews})"
            for model in (Vote, Action, PhaseChange, Participant)
        ),
        f"UPDATE reviews_item SET group_id = NULL WHERE review_id IN ({reviews})",
        f"DELETE FROM reviews_group WHERE review_id IN ({reviews})",
        f"DELETE FROM reviews_item WHERE review_id IN ({reviews})",
        f"DELETE FROM reviews_review WHERE id IN ({reviews})",
        f"DELETE FROM pipeline_followupevent WHERE follow_up_id IN ({followups})",
        f"DELETE FROM pipeline_followup WHERE id IN ({followups})",
        f"DELETE FROM pipeline_soechange WHERE sequence_id IN ({sequences})",
        f"DELETE FROM pipeline_soestep WHERE sequence_id IN ({sequences})",
        f"DELETE FROM pipeline_sequence WHERE id IN ({sequences})",
        f"DELETE FROM pipeline_stagechange WHERE opportunity_id IN ({deals})",
        f"DELETE FROM pipeline_opportunity WHERE id IN ({deals})",
        f"DELETE FROM prospects_accountevent WHERE account_id IN ({accounts})",
        f"DELETE FROM prospects_conversation_contacts WHERE conversation_id IN ({talks})",
        f"DELETE FROM prospects_conversation_questions_asked WHERE conversation_id IN ({talks})",
        f"DELETE FROM prospects_conversation WHERE id IN ({talks})",
        f"DELETE FROM prospects_whynote WHERE account_id IN ({accounts})",
        f"DELETE FROM prospects_contact WHERE account_id IN ({accounts})",
        f"DELETE FROM prospects_account WHERE id IN ({accounts})",
        f"DELETE FROM {Notification._meta.db_table} WHERE user_id IN ({users})",
        f"DELETE FROM {CalendarFeed._meta.db_table} WHERE user_id IN ({users})",
        "UPDATE core_team SET manager_id = NULL WHERE name LIKE 'scale-%%'",
        f"DELETE FROM core_user WHERE id IN ({users})",
        "DELETE FROM core_team WHERE name LIKE 'scale-%%'",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@dataclass
class Report:
    size: str
    seed: int
    rows: dict[str, int]  # per table, as counted after loading
    seconds: dict[str, dict[str, float]]  # per table: "copy", "indexes" (and keys), "analyze"
    steps: dict[str, float]  # the load's phases
    total: float


def load(
    size_name: str,
    *,
    seed: int = 7,
    now: datetime | None = None,
    replace: bool = False,
    rebuild_indexes: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> Report:
    """Load the data set of the named size in one transaction: all of it, or nothing."""
    size = SIZES[size_name]
    now = now or timezone.now()
    began = time.perf_counter()
    steps: dict[str, float] = {}
    seconds: dict[str, dict[str, float]] = defaultdict(dict)

    def lap(name: str, since: float) -> float:
        steps[name] = round(time.perf_counter() - since, 2)
        progress(f"{name}: {steps[name]} s")
        return time.perf_counter()

    tables = list(COPY_TABLES)
    with transaction.atomic():
        mark = time.perf_counter()
        if exists():
            if not replace:
                raise FileExistsError(
                    "The scale data set is already loaded (teams, users and accounts named "
                    f"{PREFIX}…). Pass --replace to delete it and load again."
                )
            delete_existing()
            mark = lap("delete the previous data set", mark)
        ctx = _context(size, now)
        plan = make_plan(size, seed, ctx.clock.now)
        generator = Generator(plan, ctx, seed)
        generator.reserve()
        mark = lap("plan, people and reference data", mark)
        with connection.cursor() as cursor:
            # The load's own transaction only: a crash loses the load, never earlier data.
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE")
        dropped = drop_secondary(tables) if rebuild_indexes else None
        copier = Copier()
        generating = 0.0
        try:
            chunks = generator.chunks()
            while True:
                started = time.perf_counter()
                buffers = next(chunks, None)
                generating += time.perf_counter() - started
                if buffers is None:
                    break
                for table, lines in buffers.lines.items():
                    copier.put(table, lines)
        finally:
            copier.finish()
        steps["generate rows (beside COPY)"] = round(generating, 2)
        for table, spent in copier.seconds.items():
            seconds[table]["copy"] = spent
        mark = lap("generate and COPY", mark)
        if dropped is not None:
            restore_secondary(dropped, seconds)
            mark = lap("rebuild indexes and foreign keys", mark)
        seed_reviews(ctx, size, seed, now)
        mark = lap("reviews", mark)
    with connection.cursor() as cursor:
        for model in ANALYZED:
            table = model._meta.db_table
            started = time.perf_counter()
            cursor.execute(f'ANALYZE "{table}"')
            seconds[table]["analyze"] = time.perf_counter() - started
    mark = lap("analyze", mark)
    # The stuck check, as the beat runs it every morning: it records which deals are stuck
    # (Today and the coaching figures read that) and tells each owner once. One transaction,
    # so its thousands of small ones are savepoints, not commits.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        pipeline_services.opportunities_mark_stuck(now=now)
        for model in (Opportunity, Notification):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    mark = lap("stuck check", mark)
    rows = counts()
    lap("count", mark)
    return Report(
        size=size_name,
        seed=seed,
        rows=rows,
        seconds={
            table: {phase: round(spent, 2) for phase, spent in phases.items()}
            for table, phases in seconds.items()
        },
        steps=steps,
        total=round(time.perf_counter() - began, 2),
    )


def counts() -> dict[str, int]:
    """Rows per table of the scale data set (not the demo's)."""
    accounts = Account.objects.filter(name__startswith=PREFIX)
    deals = Opportunity.objects.filter(name__startswith=PREFIX)
    talks = Conversation.objects.filter(account__name__startswith=PREFIX)
    followups = FollowUp.objects.filter(account__name__startswith=PREFIX)
    sequences = Sequence.objects.filter(opportunity__name__startswith=PREFIX)
    reviews = Review.objects.filter(title__startswith=PREFIX)
    asked = Conversation.questions_asked.through.objects
    now = timezone.now()
    return {
        "core_team": Team.objects.filter(name__startswith=PREFIX).count(),
        "core_user": User.objects.filter(username__startswith=PREFIX).count(),
        "prospects_account": accounts.count(),
        "prospects_contact": Contact.objects.filter(account__in=accounts).count(),
        "prospects_conversation": talks.count(),
        "prospects_conversation_contacts": Conversation.contacts.through.objects.filter(
            conversation__in=talks
        ).count(),
        "prospects_conversation_questions_asked": asked.filter(conversation__in=talks).count(),
        "prospects_whynote": WhyNote.objects.filter(account__in=accounts).count(),
        "prospects_accountevent": AccountEvent.objects.filter(account__in=accounts).count(),
        "pipeline_opportunity": deals.count(),
        "pipeline_opportunity (open)": deals.filter(closed_at__isnull=True).count(),
        "pipeline_stagechange": StageChange.objects.filter(opportunity__in=deals).count(),
        "pipeline_sequence": sequences.count(),
        "pipeline_soestep": SoeStep.objects.filter(sequence__in=sequences).count(),
        "pipeline_soechange": SoeChange.objects.filter(sequence__in=sequences).count(),
        "pipeline_followup": followups.count(),
        "pipeline_followup (held)": followups.filter(status=FollowUp.Status.HELD).count(),
        "pipeline_followup (due now)": followups.filter(
            status=FollowUp.Status.HELD, surface_at__lte=now
        ).count(),
        "pipeline_followupevent": FollowUpEvent.objects.filter(follow_up__in=followups).count(),
        "reviews_review": reviews.count(),
        "reviews_participant": Participant.objects.filter(review__in=reviews).count(),
        "reviews_item": Item.objects.filter(review__in=reviews).count(),
        "reviews_group": Group.objects.filter(review__in=reviews).count(),
        "reviews_vote": Vote.objects.filter(review__in=reviews).count(),
        "reviews_action": Action.objects.filter(review__in=reviews).count(),
        "reviews_phasechange": PhaseChange.objects.filter(review__in=reviews).count(),
    }


def expected_counts(size: Size) -> dict[str, int]:
    """What counts() must say right after a load of this size (for tests and the report)."""
    return {
        "core_team": size.teams,
        "core_user": size.reps + size.teams + 2,
        "prospects_account": size.accounts,
        "prospects_contact": size.contacts,
        "prospects_conversation": size.conversations,
        "pipeline_opportunity": size.opportunities,
        "pipeline_opportunity (open)": size.open_opportunities,
        "pipeline_stagechange": size.stage_changes,
        "pipeline_sequence": size.sequences,
        "pipeline_soestep": size.soe_steps,
        "pipeline_followup": size.followups,
        "pipeline_followup (held)": size.held_followups,
        "pipeline_followup (due now)": size.due_followups,
        "reviews_review": size.reviews,
    }


def size_table() -> list[tuple[str, int, int]]:
    """(what, large, small) for every number of SIZES: the one table the docs quote."""
    large, small = SIZES["large"], SIZES["small"]
    return [(f.name, getattr(large, f.name), getattr(small, f.name)) for f in fields(Size)]
