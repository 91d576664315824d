"""The follow-up sweep under load: N held follow-ups all due at once, two sweeps racing.

"Two workers" are two OS processes forked from the command, each calling
``followup_sweep.followups_surface_due`` — the body of the beat's ``surface_due_followups``
task — at the same moment, each with its own database connection. That measures the
SKIP LOCKED claim itself, without Celery's scheduling in the way (with one task per beat
tick, two Celery workers only race when ticks overlap). The sweep writes each owner's
notification and email (to the outbox) in its own transactions, so that is measured too;
the outbox's sender is not asked for, and the cleanup deletes those rows with the
follow-ups: the synthetic follow-ups must not reach anyone's inbox.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, connections
from django.db.models import Count

from pipeline.benchmark.actions import TAG
from pipeline.followups import selectors as followup_selectors
from pipeline.followups.models import FollowUp, FollowUpEvent
from prospects.models import Account
from salesflow.core.models import Notification, OutboxMessage

SWEEP_TAG = f"{TAG} sweep"
HOW = (
    "two OS processes forked from the command, each calling "
    "followup_sweep.followups_surface_due at the same moment on its own connection"
)
# Far in the past: no real follow-up is due this early, so a sweep told that "now" is
# this moment surfaces only the synthetic ones, and the data set's own stay as they are.
EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
INSERT_BATCH = 5_000
WORKER_TIMEOUT_SECONDS = 900


class SweepRefused(Exception):
    """The sweep would touch follow-ups of the data set."""


@dataclass
class SweepResult:
    followups: int
    workers: int
    how: str
    insert_seconds: float
    seconds: float  # from the first worker's start to the last one's end
    per_second: float
    shares: list[int]  # follow-ups each worker surfaced
    worker_seconds: list[float]
    surfaced: int  # tagged follow-ups whose status is surfaced afterwards
    surfaced_once: int  # tagged follow-ups with exactly one "surfaced" event
    surfaced_twice: int  # tagged follow-ups with more than one: must be none
    cleanup_seconds: float
    left_behind: int  # tagged follow-ups after the cleanup: must be none
    errors: list[str] = field(default_factory=list)

    @property
    def exactly_once(self) -> bool:
        return (
            not self.errors
            and self.surfaced == self.followups
            and self.surfaced_once == self.followups
            and self.surfaced_twice == 0
            and sum(self.shares) == self.followups
        )


def _tagged() -> Any:
    return FollowUp.objects.filter(purpose__startswith=SWEEP_TAG)


def remove_tagged() -> int:
    """Delete the synthetic follow-ups, their events, notifications and emails in a few
    statements: the ORM would load 100,000 rows to cascade by hand."""
    table, events = FollowUp._meta.db_table, FollowUpEvent._meta.db_table
    pattern = SWEEP_TAG.replace("%", r"\%").replace("_", r"\_") + "%"
    with connection.cursor() as cursor:
        # What the sweep wrote to tell the owners, found by its key (sweep._tell_owners).
        for told in (OutboxMessage._meta.db_table, Notification._meta.db_table):
            cursor.execute(
                f"DELETE FROM {told} WHERE key IN (SELECT 'follow-up:' || id || ':surfaced' "
                f"FROM {table} WHERE purpose LIKE %s)",
                [pattern],
            )
        cursor.execute(
            # Only table names are formatted in; the pattern is a parameter.
            f"DELETE FROM {events} WHERE follow_up_id IN "
            f"(SELECT id FROM {table} WHERE purpose LIKE %s)",
            [pattern],
        )
        cursor.execute(f"DELETE FROM {table} WHERE purpose LIKE %s", [pattern])
        return cursor.rowcount


def _analyze() -> None:
    # Autovacuum may be off (it is on the measuring machine): without fresh statistics the
    # planner would plan the sweep for a table without its 100,000 new rows.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {FollowUp._meta.db_table}, {FollowUpEvent._meta.db_table}")


def create_due(count: int) -> datetime:
    """`count` held follow-ups, due one second apart from EPOCH, spread over real accounts
    and their owners; returns the moment when all are due."""
    owners = list(Account.objects.order_by("pk").values_list("pk", "owner_id")[:1000])
    if not owners:
        raise SweepRefused("The data set has no account to hang follow-ups on.")
    rows = (
        FollowUp(
            account_id=owners[number % len(owners)][0],
            owner_id=owners[number % len(owners)][1],
            purpose=f"{SWEEP_TAG} #{number}",
            surface_at=EPOCH + timedelta(seconds=number),
            status=FollowUp.Status.HELD,
        )
        for number in range(count)
    )
    FollowUp.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    return EPOCH + timedelta(seconds=count)


def _forget_inherited_connections() -> None:
    """Drop, without closing, any database connection the fork copied from the parent.

    The parent closes its connections before forking, but a connection left inside a
    transaction or closed within one is kept by Django's close(); two children reusing the
    same inherited socket garble each other's results. Closing it here would end the
    parent's session too, so the child only lets go of it and opens its own."""
    for alias in connections:
        conn = connections[alias]
        conn.connection = None
        conn.in_atomic_block = False
        conn.savepoint_ids = []
        conn.atomic_blocks = []
        conn.needs_rollback = False
        conn.closed_in_transaction = False


def _sweep_in_child(now: datetime, go: Any, results: Any) -> None:
    """One worker: wait for the start signal, sweep, report. Runs in a forked process."""
    from pipeline.followups import sweep as followup_sweep
    from salesflow.core.outbox import services as outbox_services

    _forget_inherited_connections()
    # The emails are written to the outbox, but no sender is asked for: nothing is sent.
    outbox_services._ask_for_a_sender = lambda: None
    try:
        connection.ensure_connection()  # connecting is not part of the sweep's time
        go.wait()
        started = time.time()
        surfaced = followup_sweep.followups_surface_due(now=now)
        ended = time.time()
        results.put({"surfaced": surfaced, "started": started, "ended": ended})
    except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the run
        results.put({"error": f"{type(error).__name__}: {error}"})
    finally:
        connections.close_all()


def run_sweep(count: int, *, workers: int = 2) -> SweepResult:
    """Create `count` due follow-ups, let `workers` processes surface them at once, check
    each surfaced exactly once, and delete them."""
    if connection.in_atomic_block:
        raise SweepRefused("The sweep's workers need committed rows: run outside a transaction.")
    remove_tagged()  # what a crashed earlier run may have left
    started = time.perf_counter()
    now = create_due(count)
    insert_seconds = time.perf_counter() - started
    try:
        others = (
            FollowUp.objects.filter(followup_selectors.followup_surfaces_condition(now=now))
            .exclude(purpose__startswith=SWEEP_TAG)
            .count()
        )
        if others:
            raise SweepRefused(f"{others} follow-ups of the data set are due before {now}.")
        _analyze()
        shares, seconds, errors, window = _race(now, workers)
        per_follow_up = (
            FollowUpEvent.objects.filter(follow_up__in=_tagged(), action="surfaced")
            .values("follow_up")
            .annotate(times=Count("pk"))
        )
        surfaced = _tagged().filter(status=FollowUp.Status.SURFACED).count()
        once = per_follow_up.filter(times=1).count()
        twice = per_follow_up.filter(times__gt=1).count()
    finally:
        started = time.perf_counter()
        remove_tagged()
        _analyze()
        cleanup_seconds = time.perf_counter() - started
    return SweepResult(
        followups=count,
        workers=workers,
        how=HOW,
        insert_seconds=round(insert_seconds, 2),
        seconds=round(window, 3),
        per_second=round(count / window) if window else 0,
        shares=shares,
        worker_seconds=seconds,
        surfaced=surfaced,
        surfaced_once=once,
        surfaced_twice=twice,
        cleanup_seconds=round(cleanup_seconds, 2),
        left_behind=_tagged().count(),
        errors=errors,
    )


def _race(now: datetime, workers: int) -> tuple[list[int], list[float], list[str], float]:
    """Fork the workers, start them together, collect what each surfaced and when."""
    context = multiprocessing.get_context("fork")
    go, results = context.Event(), context.Queue()
    # A forked child must not share the parent's open connection: each opens its own.
    connections.close_all()
    processes = [
        context.Process(target=_sweep_in_child, args=(now, go, results), daemon=True)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    go.set()
    reports: list[dict[str, Any]] = []
    errors: list[str] = []
    try:
        for _ in processes:
            reports.append(results.get(timeout=WORKER_TIMEOUT_SECONDS))
    except Exception:  # noqa: BLE001 - queue.Empty: a worker hung or died
        errors.append(f"a worker did not report within {WORKER_TIMEOUT_SECONDS} s")
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()
    errors += [report["error"] for report in reports if "error" in report]
    done = [report for report in reports if "error" not in report]
    window = (
        max(report["ended"] for report in done) - min(report["started"] for report in done)
        if done
        else 0.0
    )
    shares = [report["surfaced"] for report in done]
    seconds = [round(report["ended"] - report["started"], 3) for report in done]
    return shares, seconds, errors, window
