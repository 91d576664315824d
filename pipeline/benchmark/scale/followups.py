"""An account's follow-ups in every state, each with the hold patience wrote and the
FollowUpEvent history the followup_* services write."""

from __future__ import annotations

import json

from pipeline.benchmark.scale.rows import AccountFacts, Generator
from pipeline.benchmark.scale.text import id_or_null, q
from pipeline.benchmark.scale.words import (
    CHANNELS,
    DISMISS_REASONS,
    DRAFTS,
    EARLY_REASONS,
    HOLD_RULES,
    PURPOSE_AFTER,
    PURPOSES,
)
from prospects.models import ConversationKind


def followup_rows(
    gen: Generator,
    i: int,
    account: AccountFacts,
    open_deals: list[tuple[int, int]],
    all_deals: list[tuple[int, int]],
    out: dict[str, list[str]],
) -> None:
    """Follow-ups in every state, each with the history followup_* services write."""
    rng, ctx, t = gen.rng, gen.ctx, gen.clock
    now, start, owner = gen.now, account.start, account.owner
    day = 86_400
    count = gen.plan.followups[i]
    if not count:
        return
    first = gen.take("followup", count)
    lines, events = out["pipeline_followup"], out["pipeline_followupevent"]
    rules = ctx.rules
    for k in range(count):
        follow_id = first + k
        status = gen.plan.followup_status[follow_id - gen.base["followup"]]
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
            f"{follow_id},{account.id},{id_or_null(deal_id)},{by},{rng.choice(CHANNELS)},"
            f'{q(rng.choice(DRAFTS))},{q(purpose)},{held_status},"","",{t.ts(surface_at)},'
            f"{holds},{end_of_quarter},{'t' if proposed else 'f'},{surfaced_at},{q(early)},"
            f"{closed_at},{q(dismissed)},{t.ts(created)}"
        )
