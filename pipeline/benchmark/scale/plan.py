"""The plan: every count decided up front (per account, deal and follow-up), so that each
parent table's block of ids can be reserved before the first row is written."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from pipeline.benchmark.scale.sizes import Size


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
