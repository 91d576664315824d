"""manage.py bench: measure the current database's data set, whatever built it.

Pages and the main POSTs through Django's test client (server time, query count, the
slowest query run alone), the follow-up sweep with two racing workers, and throughput
through gunicorn under wrk. It builds nothing: fill the database first (seed_scale).
Everything it writes to measure (POSTs, the sweep's follow-ups, a session) it deletes
again, and it checks the row counts are as they were. This command reads the options and
prints; the run itself is pipeline/benchmark/run.py.
"""

from __future__ import annotations

import json
from argparse import ArgumentTypeError
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pipeline.benchmark import report, throughput
from pipeline.benchmark.run import PARTS, Options, Refused, run


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise ArgumentTypeError(f"must be at least {minimum}")
        return number

    return parse


def _sizes(value: str) -> list[int]:
    return [_at_least(1)(part.strip()) for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    help = (
        "Measure the data set in the configured database: pages and POSTs (median and p95 "
        "server time, queries, slowest query alone), the follow-up sweep with two workers, "
        "and throughput through gunicorn and wrk. Builds nothing; deletes what it writes. "
        "Use a database of its own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--requests", type=_at_least(1), default=30, help="Timed requests a page (30)."
        )
        parser.add_argument(
            "--warmup", type=_at_least(0), default=3, help="Untimed requests a page first (3)."
        )
        parser.add_argument(
            "--rerun",
            type=_at_least(1),
            default=5,
            help="Times the slowest query of a page is run again alone (5).",
        )
        parser.add_argument(
            "--sweep",
            type=_sizes,
            default=[5_000, 100_000],
            help="Due follow-ups to surface, one sweep per size, comma-separated (5000,100000).",
        )
        parser.add_argument(
            "--sweep-workers",
            type=_at_least(1),
            default=2,
            help="Processes sweeping at once (2).",
        )
        parser.add_argument(
            "--bulk",
            type=_at_least(1),
            default=1_000,
            help="Deals moved by one bulk edit, timed as the worker runs it (1000).",
        )
        parser.add_argument(
            "--duration", type=_at_least(1), default=30, help="Seconds of wrk load (30)."
        )
        parser.add_argument(
            "--connections", type=_at_least(1), default=16, help="wrk connections (16)."
        )
        parser.add_argument(
            "--workers",
            type=_at_least(1),
            default=throughput.default_workers(),
            help=f"gunicorn workers (cores + 1: {throughput.default_workers()} here).",
        )
        parser.add_argument(
            "--skip",
            choices=PARTS,
            action="append",
            default=[],
            help="Leave out a part; repeat to leave out more.",
        )
        parser.add_argument(
            "--page",
            action="append",
            default=[],
            dest="only_pages",
            help="Measure only the pages whose label contains this text; repeat for more.",
        )
        parser.add_argument(
            "--no-analyze",
            action="store_true",
            help="Do not run VACUUM ANALYZE first (by default it does, in place of "
            "autovacuum, which may be off: the planner's statistics and the visibility map "
            "that index-only scans read).",
        )
        parser.add_argument(
            "--json",
            type=Path,
            default=None,
            help="Where to write the results (default var/bench/bench-<time>.json).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = Options(
            requests=options["requests"],
            warmup=options["warmup"],
            rerun=options["rerun"],
            sweep=options["sweep"],
            sweep_workers=options["sweep_workers"],
            bulk=options["bulk"],
            duration=options["duration"],
            connections=options["connections"],
            workers=options["workers"],
            skip=options["skip"],
            only_pages=options["only_pages"],
        )
        try:
            result = run(wanted, analyze=not options["no_analyze"], say=self.stdout.write)
        except Refused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary(result))
        default = Path(settings.VAR_DIR) / "bench" / f"bench-{result.started_at:%Y%m%d-%H%M%S}.json"
        path = Path(options["json"] or default)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(result.results(), indent=2, ensure_ascii=False, default=str)
        path.write_text(text + "\n")
        self.stdout.write(f"Results written to {path}")
        failures = result.failures()
        if failures:
            for failure in failures:
                self.stderr.write(self.style.ERROR(f"FAILED: {failure}"))
            raise CommandError(f"{len(failures)} check(s) failed; see above.")
