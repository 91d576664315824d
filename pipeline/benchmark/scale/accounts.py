"""An account's rows, and everything on it: contacts, conversations with the readiness
answers they leave, the why in versions, the account's events and status; then its deals
(deals.py) and follow-ups (followups.py). The rows come in chunks of accounts."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.benchmark.scale.deals import deal_rows
from pipeline.benchmark.scale.followups import followup_rows
from pipeline.benchmark.scale.rows import AccountFacts, Buffers, Generator
from pipeline.benchmark.scale.sizes import PREFIX
from pipeline.benchmark.scale.text import q
from pipeline.benchmark.scale.words import (
    ANSWERS,
    BUYING_ROLES,
    CHANNELS,
    FIRST_NAMES,
    KINDS_IN_ORDER,
    LAST_NAMES,
    ORGANISATIONS,
    PLACES,
    TITLES,
    UNKNOWN_STATE,
)
from pipeline.deals.models import CloseReason

# Accounts generated (and streamed) at a time: enough rows per COPY to amortise the round
# trip, few enough that memory stays flat at any size.
CHUNK_ACCOUNTS = 1_000


def chunks(gen: Generator) -> Iterator[Buffers]:
    """The rows of CHUNK_ACCOUNTS accounts at a time, in account order."""
    size = gen.plan.size.accounts
    for first in range(0, size, CHUNK_ACCOUNTS):
        buffers = Buffers()
        for i in range(first, min(first + CHUNK_ACCOUNTS, size)):
            account_rows(gen, i, buffers.lines)
        for table, lines in buffers.lines.items():
            gen.counts[table] += len(lines)
        yield buffers


def account_rows(gen: Generator, i: int, out: dict[str, list[str]]) -> None:
    """Account `i` of the plan and everything on it, as CSV lines by table into `out`."""
    rng, ctx, plan, t = gen.rng, gen.ctx, gen.plan, gen.clock
    now = gen.now
    account_id = gen.base["account"] + i
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
    first_contact = gen.take("contact", n_contacts)
    contacts = list(range(first_contact, first_contact + n_contacts))
    domain = f"{PREFIX}{i}.example.com"
    lines = out["prospects_contact"]
    for c, contact_id in enumerate(contacts):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        role = "champion" if c == 0 else rng.choice(BUYING_ROLES)
        email = f"{first}.{last}{c}@{domain}".lower()
        title = rng.choice(TITLES)
        lines.append(
            f'{contact_id},{account_id},"{first} {last}",{q(title)},{email},"",{role},{t.ts(start)}'
        )

    # Deals are decided first: whether the account wins anything sets how eager its
    # prospect sounds in the conversations.
    d0 = gen.next["deal"]
    gen.take("deal", plan.deals[i])
    deal_numbers = range(d0, d0 + plan.deals[i])
    eager = any(plan.deal_won[d] for d in deal_numbers)

    # Conversations, further along the story each time. An answer once given stands until
    # another conversation changes it, as conversation_log keeps it on the account.
    n_talks = plan.conversations[i]
    first_talk = gen.take("conversation", n_talks)
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
            f"{rng.choice(gen.q_notes)},{rng.choice(gen.q_emotions)},"
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
        first_why = gen.take("why", n_whys)
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
                f"{why_id},{account_id},{rng.choice(gen.q_whys)},{said_by},"
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
        deal_id = gen.base["deal"] + d
        deal_owner = owner if rng.random() < 0.9 else rng.choice(mates)
        closed, close_reason = deal_rows(gen, d, deal_id, deal_owner, facts, out)
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
    followup_rows(gen, i, facts, open_deals, all_deals, out)
