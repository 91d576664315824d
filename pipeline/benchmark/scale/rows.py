"""The state the row writers share: the plan, the context, the seeded random generator and
the reserved id blocks, with the next free id of each."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pipeline.benchmark.scale.context import Context
from pipeline.benchmark.scale.plan import Plan
from pipeline.benchmark.scale.postgres import reserve_ids
from pipeline.benchmark.scale.tables import COPY_TABLES
from pipeline.benchmark.scale.text import q
from pipeline.benchmark.scale.words import EMOTIONS, NOTES, WHYS
from pipeline.deals import flow
from pipeline.deals.models import Opportunity
from pipeline.followups.models import FollowUp
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeStep
from prospects.models import Account, Contact, Conversation, WhyNote


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
    """What turns the plan into CSV lines, one account (with everything hanging off it) at
    a time, in account order (accounts.chunks); ids are the reserved bases plus a running
    index. The writers draw from one random generator in a fixed order: the same seed gives
    the same rows only while that order holds."""

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
        # The funnel rank pipeline.deals.flow gives a stage: its position if open, WON_RANK if won.
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
            "sequence": (SoeSequence, plan.size.sequences),
            "step": (SoeStep, plan.size.soe_steps),
            "followup": (FollowUp, plan.size.followups),
        }
        for key, (model, count) in wanted.items():
            self.base[key] = reserve_ids(model._meta.db_table, count)

    def take(self, key: str, count: int = 1) -> int:
        """The first of the next `count` ids of the table `key` names."""
        first = self.base[key] + self.next[key]
        self.next[key] += count
        return first
