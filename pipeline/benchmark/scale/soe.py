"""An SOE's rows: its steps (from the template, or added later), the history of each (added,
date moved, done, skipped) and how the prospect received it."""

from __future__ import annotations

from bisect import bisect_right
from datetime import timedelta

from pipeline.benchmark.scale.rows import AccountFacts, Generator
from pipeline.benchmark.scale.text import id_or_null, q
from pipeline.benchmark.scale.words import ADDED_STEPS, RECEPTION_NOTE, RECEPTIONS, SKIP_REASON
from pipeline.deals.models import Stage
from pipeline.soe.models import OwnerSide
from pipeline.soe.models import Sequence as SoeSequence


def soe_rows(
    gen: Generator,
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
    rng, ctx, t = gen.rng, gen.ctx, gen.clock
    now = gen.now
    sequence_id = gen.take("sequence")
    first_step = gen.take("step", n_steps)
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
            f"{step_id},{sequence_id},{position},{q(text)},{id_or_null(kind)},{proposed_by},"
            f"{added_on},{source_talk},{side},{responsible_contact},{responsible_user},"
            f'{target},{first_target},"",{status},{done},{q(skip)},{t.ts(touched)}'
        )
    reception, note, reception_at = rng.choice(RECEPTIONS), "", ""
    if reception != "not_shared":
        at = min(started + rng.randint(86_400, 10 * 86_400), now - 60)
        reception_at = t.ts(at)
        note = RECEPTION_NOTE if reception in {"lukewarm", "declined"} else ""
        label = SoeSequence.Reception(reception).label
        summary = q(f"{label}: {note}" if note else label)
        changes.append(f"{sequence_id},,reception,{reception_at},{owner},{summary},")
    out["pipeline_sequence"].append(
        f"{sequence_id},{deal_id},{template.pk if template else ''},{reception},{q(note)},"
        f"{reception_at},{t.ts(started)}"
    )
