"""manage.py seed_scale: load the scale data set (see pipeline/benchmark/scale/) with COPY.

It WRITES about fourteen million rows at --size large into the configured database and
leaves them there: point DATABASE_URL at a database of its own.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from pipeline.benchmark import scale


class Command(BaseCommand):
    help = (
        "Load the scale data set: --size large (100,000 accounts, 2,000,000 conversations, "
        "200,000 deals, 1,000,000 follow-ups…) or --size small (a hundredth, for tests). "
        "Everything is named scale-… beside any demo data. Refuses to run twice unless "
        "--replace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(scale.SIZES), required=True)
        parser.add_argument("--seed", type=int, default=7, help="Seed of the data set (7).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete an existing scale data set first (in the same transaction).",
        )
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="Load with every index and foreign key in place instead of dropping the "
            "secondary ones and building them back afterwards (slower; for comparison).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size = scale.SIZES[options["size"]]
        self.stdout.write(
            f"Loading the {options['size']} scale data set (seed {options['seed']}) into "
            f"{connection.settings_dict['NAME']}…"
        )
        try:
            report = scale.load(
                options["size"],
                seed=options["seed"],
                replace=options["replace"],
                rebuild_indexes=not options["keep_indexes"],
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except FileExistsError as error:
            raise CommandError(str(error)) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        expected = scale.expected_counts(size)
        width = max(len(name) for name in report.rows)
        phases = ["copy", "indexes", "analyze"]
        self.stdout.write(
            f"\n{'table':<{width}}  {'rows':>10}  {'COPY s':>7}  {'index s':>7}  "
            f"{'ANALYZE':>7}  {'total s':>7}"
        )
        for name, rows in report.rows.items():
            spent = report.seconds.get(name)
            line = f"{name:<{width}}  {rows:>10,}"
            if spent is not None:
                line += "".join(f"  {spent.get(phase, 0.0):7.2f}" for phase in phases)
                line += f"  {sum(spent.values()):7.2f}"
            if expected.get(name, rows) != rows:
                line += f"  (expected {expected[name]:,})"
            self.stdout.write(line)
        self.stdout.write(
            "\nCOPY runs while the next rows are generated; index s is rebuilding the table's "
            "indexes and foreign keys after the load (0 with --keep-indexes)."
        )
        for step, seconds in report.steps.items():
            self.stdout.write(f"  {step}: {seconds} s")
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {sum(v for k, v in report.rows.items() if '(' not in k):,} rows in "
                f"{report.total} s. Sign in as scale-admin or a scale-rep-NN with force_login "
                "(they have no password) or set one in the admin."
            )
        )
