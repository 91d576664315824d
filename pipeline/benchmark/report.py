"""What a run prints: the data set's size, PostgreSQL's settings and the three tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

from pipeline.benchmark.sweep import HOW as SWEEP_HOW
from pipeline.benchmark.sweep import SweepResult
from pipeline.benchmark.throughput import ThroughputResult
from pipeline.benchmark.timing import Result
from pipeline.deals.models import Opportunity, Stage, StageChange
from pipeline.followups.models import FollowUp, FollowUpEvent
from pipeline.reviews.models import Item, Review
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeChange, SoeStep
from prospects.models import Account, AccountEvent, Contact, Conversation
from salesflow.core.models import Notification, User

if TYPE_CHECKING:  # run.py builds on this module
    from pipeline.benchmark.run import Run


def dataset_sizes() -> dict[str, int]:
    """Rows in the tables the pages read and the POSTs and the sweep write: compared before
    and after a run, they show the data set was left as it was."""
    deals = Opportunity.objects.all()
    return {
        "users": User.objects.count(),
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "conversations": Conversation.objects.count(),
        "account events": AccountEvent.objects.count(),
        "opportunities": deals.count(),
        "open": deals.filter(stage__outcome=Stage.Outcome.OPEN).count(),
        "won": deals.filter(stage__outcome=Stage.Outcome.WON).count(),
        "lost": deals.filter(stage__outcome=Stage.Outcome.LOST).count(),
        "stage changes": StageChange.objects.count(),
        "SOEs": SoeSequence.objects.count(),
        "SOE steps": SoeStep.objects.count(),
        "SOE changes": SoeChange.objects.count(),
        "follow-ups": FollowUp.objects.count(),
        "follow-up events": FollowUpEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "reviews": Review.objects.count(),
        "review items": Item.objects.count(),
    }


def server_settings() -> dict[str, str]:
    """The PostgreSQL settings that change timings most, to compare runs fairly."""
    found = {}
    with connection.cursor() as cursor:
        for name in ("server_version", "jit", "autovacuum", "shared_buffers", "work_mem"):
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
    return found


def markdown_table(headers: list[str], rows: list[list[object]], *, right: int = 0) -> str:
    """A Markdown table; the last `right` columns are numbers, aligned right."""
    align = ["---"] * (len(headers) - right) + ["---:"] * right
    lines = [headers, align, *[[str(cell) for cell in row] for row in rows]]
    return "\n".join(f"| {' | '.join(line)} |" for line in lines)


def _status(result: Result) -> str:
    if result.ok:
        return str(result.status)
    if result.status != result.expected_status:
        return f"{result.status} (expected {result.expected_status}) FAILED"
    effect = result.effect
    return f"{result.status}, wrote {effect['found']} of {effect['expected']} FAILED"


def pages_table(results: list[Result]) -> str:
    return markdown_table(
        ["page", "user", "median ms", "p95 ms", "queries", "slowest query ms", "status"],
        [
            [
                r.label,
                r.user,
                r.median_ms,
                r.p95_ms,
                r.queries,
                "n/a" if r.slowest_query_ms is None else r.slowest_query_ms,
                _status(r),
            ]
            for r in results
        ],
        right=5,
    )


def sweep_table(results: list[SweepResult]) -> str:
    return markdown_table(
        [
            "due follow-ups",
            "each worker surfaced",
            "surfaced exactly once",
            "workers",
            "seconds",
            "per second",
            "insert s",
            "cleanup s",
        ],
        [
            [
                f"{r.followups:,}",
                " + ".join(f"{share:,}" for share in r.shares) or "-",
                "yes"
                if r.exactly_once
                else f"NO: {r.surfaced_once:,} once, {r.surfaced_twice:,} twice "
                f"{'; '.join(r.errors)}".strip(),
                r.workers,
                r.seconds,
                f"{r.per_second:,}",
                r.insert_seconds,
                r.cleanup_seconds,
            ]
            for r in results
        ],
        right=5,
    )


def throughput_table(result: ThroughputResult) -> str:
    errors = str(result.errors)
    if result.redirects:
        errors += f" (+{result.redirects} redirects)"
    if result.problems:
        errors = "FAILED: " + "; ".join(result.problems)
    elif not result.ok:
        errors += " FAILED"
    return markdown_table(
        [
            "server",
            "connections",
            "seconds",
            "requests",
            "requests/s",
            "p50 ms",
            "p99 ms",
            "errors",
        ],
        [
            [
                result.server,
                result.connections,
                result.duration_seconds,
                result.requests,
                result.requests_per_second,
                result.p50_ms,
                result.p99_ms,
                errors,
            ]
        ],
        right=6,
    )


def summary(run: Run) -> str:
    """The run in Markdown: the data set, who and what was measured, and the tables."""
    facts, load = run.subjects.facts, run.load
    lines = [
        "",
        "PostgreSQL: " + ", ".join(f"{name} {value}" for name, value in run.server.items()) + ".",
        f"VACUUM ANALYZE first: {run.analyze_seconds} s."
        if run.analyze_seconds is not None
        else "",
        "",
        markdown_table(
            ["table", "rows"], [[name, count] for name, count in run.dataset.items()], right=1
        ),
        "",
        f"Measured as {facts['admin']} (admin), {facts['rep']} (the rep with the most open "
        f"deals: {facts['rep_open_deals']}), {facts['manager']} (manager of "
        f"{facts['team']}). Account #{facts['biggest_account']['pk']} has the most "
        f"conversations the rep sees ({facts['biggest_account']['conversations']}); deal "
        f"#{facts['long_history_deal']['pk']} the longest history of the rep's "
        f"({facts['long_history_deal']['stage_changes']} stage changes).",
    ]
    if facts["soe_deal"]:
        lines.append(f"SOE: deal #{facts['soe_deal']['pk']}, {facts['soe_deal']['steps']} steps.")
    if facts["review"]:
        lines.append(
            f"Review #{facts['review']['pk']}: finished, {facts['review']['items']} items."
        )
    else:
        lines.append("No finished review in the data set: the review board is not measured.")
    if run.measured:
        lines += ["", pages_table(run.measured)]
    if run.sweeps:
        lines += ["", f"Sweep: {SWEEP_HOW}.", "", sweep_table(run.sweeps)]
    if run.bulk is not None:
        moved = run.bulk
        lines += [
            "",
            f"Bulk move: {moved.how}.",
            "",
            markdown_table(
                ["moved exactly once", "deals", "seconds", "ms a deal", "goal s", "setup s"],
                [
                    [
                        "yes"
                        if moved.exactly_once
                        else f"NO: {moved.changed:,} moved, {moved.moves_recorded:,} moves, "
                        f"{moved.results_recorded:,} results {'; '.join(moved.errors)}".strip(),
                        f"{moved.deals:,}",
                        moved.seconds,
                        moved.per_deal_ms,
                        moved.goal_seconds,
                        moved.setup_seconds,
                    ]
                ],
                right=5,
            ),
        ]
    if load is not None:
        lines += [
            "",
            f"Throughput: {load.server} ({load.workers_why}); wrk, {load.threads} threads, "
            f"the rep's {len(load.paths)} read pages in turn, signed in by session cookie.",
            "",
            throughput_table(load),
        ]
    lines += [
        "",
        "Data set left as it was."
        if not run.dataset_changed
        else f"Data set CHANGED (before, after): {run.dataset_changed}",
        "",
    ]
    return "\n".join(line for line in lines if line is not None)
