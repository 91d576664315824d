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
  left_at, furthest_rank and qualified_* are filled as pipeline.deals.flow.refresh computes them;
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

Where each part is made:

- ``sizes``: the counts of each size, and what a load must count;
- ``plan``: every count per account, deal and follow-up, decided before any row;
- ``context``: the reference data and the scale users and teams the rows point at;
- ``rows``: the state the writers share (random generator, reserved ids);
- ``accounts``, ``deals``, ``soe``, ``followups``: the rows of each, in that nesting;
- ``words``: the texts and choices the rows are made of; ``text``: CSV values and times;
- ``tables``: the tables COPY fills, and finding, counting and deleting the data set;
- ``postgres``: id blocks, COPY from a second thread, indexes dropped and rebuilt;
- ``reviews``: the reviews, played through the review services;
- here: ``load``, the whole load in one transaction.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from pipeline.benchmark.scale.accounts import chunks
from pipeline.benchmark.scale.context import make_context
from pipeline.benchmark.scale.plan import make_plan
from pipeline.benchmark.scale.postgres import Copier, drop_secondary, restore_secondary, schema_of
from pipeline.benchmark.scale.reviews import seed_reviews
from pipeline.benchmark.scale.rows import Generator
from pipeline.benchmark.scale.sizes import PREFIX, SIZES, Size, expected_counts, size_table
from pipeline.benchmark.scale.tables import ANALYZED, COPY_TABLES, counts, delete_existing, exists
from pipeline.deals import services as deal_services
from pipeline.deals.models import Opportunity
from salesflow.core.models import Notification

__all__ = [
    "COPY_TABLES",
    "PREFIX",
    "SIZES",
    "Report",
    "Size",
    "counts",
    "expected_counts",
    "load",
    "schema_of",
    "size_table",
]


@dataclass
class Report:
    """What a load did: rows per table, and where the time went."""

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
        ctx = make_context(size, now)
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
            generated = chunks(generator)
            while True:
                started = time.perf_counter()
                buffers = next(generated, None)
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
        deal_services.opportunities_mark_stuck(now=now)
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
