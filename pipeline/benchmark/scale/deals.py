"""A deal's rows: its path through the stages, its stage history with the readiness answers
of each moment, the facts pipeline.deals.flow keeps (left_at, furthest rank, qualification),
and its SOE if it has one (soe.py)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import timedelta

from pipeline.benchmark.scale.rows import AccountFacts, Generator
from pipeline.benchmark.scale.sizes import PREFIX
from pipeline.benchmark.scale.soe import soe_rows
from pipeline.benchmark.scale.text import q
from pipeline.benchmark.scale.words import (
    CLOSE_NOTES,
    CURRENCIES,
    NEXT_STEPS,
    PRODUCTS,
    UNKNOWN_STATE,
)
from pipeline.deals.models import CloseReason, Stage


def stage_path(gen: Generator, n_open: int, outcome: str) -> list[Stage]:
    """`n_open` stays in open stages: forward mostly, now and then a skip or a step back
    (forced back at the last open stage when the story goes on)."""
    rng, stages = gen.rng, gen.ctx.open_stages
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
        result.append(gen.ctx.won if outcome == "won" else gen.ctx.lost)
    return result


def deal_rows(
    gen: Generator,
    d: int,
    deal_id: int,
    owner: int,
    account: AccountFacts,
    out: dict[str, list[str]],
) -> tuple[int | None, CloseReason | None]:
    """One deal and its stage history; returns (closed at, reason) for a closed one."""
    rng, ctx, t, plan = gen.rng, gen.ctx, gen.clock, gen.plan
    now, start = gen.now, account.start
    ready_times, ready_states = account.ready_times, account.ready_states
    is_open = plan.deal_open[d]
    moves = plan.deal_changes[d]
    outcome = "open" if is_open else "won" if plan.deal_won[d] else "lost"
    path = stage_path(gen, moves - (not is_open), outcome)
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
        rank = gen.rank.get(stage.pk, -1)
        furthest = max(furthest, rank)
        # Qualified: the first move on to a later open stage, or to won (pipeline.deals.flow).
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
        soe_rows(gen, plan.deal_steps[d], deal_id, owner, path, moments, closed, account, out)
    return closed, reason
