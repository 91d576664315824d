"""manage.py soak: the rep's reads and writes through gunicorn for N minutes while Celery
workers are killed every minute and Redis is restarted once; then the promises checked
(reads answer, writes never half-saved, follow-ups surfaced once, emails never lost). The
run itself is pipeline/benchmark/soak.py."""

from __future__ import annotations

import math
import shlex
import sys
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pipeline.benchmark import soak


def _number(kind: type[int] | type[float], *, low: float, high: float, above: bool = False) -> Any:
    """An argparse type: a finite number of `kind` in [low, high] (above: more than low)."""

    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except (ValueError, OverflowError):
            raise ArgumentTypeError(f"{value!r} is not a {kind.__name__} number") from None
        if not math.isfinite(number) or number > high or number < low or (above and number == low):
            side = f"more than {low:g}" if above else f"at least {low:g}"
            raise ArgumentTypeError(f"must be {side} and at most {high:g}")
        return number

    return parse


DAY = 24 * 60 * 60


class Command(BaseCommand):
    help = (
        "Soak: drive the rep's pages and writes through gunicorn for N minutes while killing "
        "a Celery worker every minute and restarting Redis once (a Redis, gunicorn, workers, "
        "beat and SMTP server of its own), then check nothing was lost, doubled or "
        "half-saved. Needs a data set (manage.py seed_demo). Exits non-zero when a promise "
        "is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--minutes",
            type=_number(float, low=0, high=24 * 60, above=True),
            default=5.0,
            help="Minutes of load (5).",
        )
        parser.add_argument(
            "--users",
            type=_number(int, low=1, high=200),
            default=4,
            help="Users signed in at once (4).",
        )
        parser.add_argument(
            "--kill-every",
            type=_number(int, low=0, high=DAY),
            default=60,
            help="Seconds between Celery worker kills; 0 kills none (60).",
        )
        parser.add_argument(
            "--redis-restart-at",
            type=_number(int, low=0, high=DAY),
            default=None,
            help="Second of the load at which Redis is stopped (default: half-way).",
        )
        parser.add_argument(
            "--redis-down",
            type=_number(int, low=1, high=DAY),
            default=20,
            help="Seconds Redis stays stopped (20).",
        )
        parser.add_argument(
            "--pause",
            type=_number(float, low=0, high=60),
            default=0.3,
            help="Seconds each user waits between requests (0.3).",
        )
        parser.add_argument(
            "--drain-timeout",
            type=_number(int, low=1, high=DAY),
            default=180,
            help="Seconds to wait at the end for follow-ups to surface and emails to go (180).",
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the throwaway accounts and what was written on them.",
        )
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Folder for the report (.md), results (.json) and logs (var/soak).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["out"] or Path(settings.VAR_DIR) / "soak")
        seconds = round(options["minutes"] * 60)
        if options["redis_restart_at"] is not None and options["redis_restart_at"] >= seconds:
            raise CommandError("--redis-restart-at must fall within the run.")
        wanted = soak.SoakOptions(
            seconds=seconds,
            users=options["users"],
            kill_every=options["kill_every"],
            redis_restart_at=options["redis_restart_at"],
            redis_down_seconds=options["redis_down"],
            pause=options["pause"],
            drain_seconds=options["drain_timeout"],
            keep=options["keep"],
            log_dir=folder,
        )
        command = "manage.py " + shlex.join(sys.argv[2:] if sys.argv[1:2] == ["soak"] else [])
        command = command.replace("manage.py ", "manage.py soak ", 1).strip()
        try:
            result = soak.run_soak(wanted, command=command, say=self.stdout.write)
        except soak.SoakRefused as error:
            raise CommandError(str(error)) from None
        text = soak.markdown(result)
        self.stdout.write("\n" + text)
        report, data = soak.write_results(result, folder)
        self.stdout.write(f"Report written to {report} (results: {data}, logs: {result.log_dir})")
        failures = result.failures()
        if failures:
            for failure in failures:
                self.stderr.write(self.style.ERROR(f"BROKEN: {failure}"))
            raise CommandError(f"{len(failures)} promise(s) broken; see above.")
