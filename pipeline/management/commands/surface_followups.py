"""Run the follow-up sweep once, by hand: after an outage, or to watch it work."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pipeline.followups import sweep as followup_sweep


class Command(BaseCommand):
    help = "Surface every held follow-up whose time has come, and tell each owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            type=int,
            default=followup_sweep.SURFACE_BATCH,
            help="Follow-ups claimed per transaction (1 to 10,000).",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            help="Seconds (up to 60) to wait after each batch, to spread the load on a busy "
            "database.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = max(1, min(options["batch"], 10_000))
        total = 0
        while True:
            surfaced = followup_sweep.followups_surface_due(batch=batch, limit=batch)
            total += surfaced
            if surfaced < batch:
                break
            time.sleep(min(max(0.0, options["pause"]), 60.0))
        # Each owner's notification and email were written with the surfacing itself.
        self.stdout.write(f"Follow-ups surfaced (and their owners told): {total}.")
