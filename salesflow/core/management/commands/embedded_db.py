"""Start, stop or look at the embedded PostgreSQL (DATABASE_URL unset).

Any process that connects starts the server when it is not running, so ``start`` is rarely
needed; the server keeps running after the processes that used it are gone, so that the
next ``make run`` or ``make test`` starts at once. ``stop`` stops it (``make stop``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from salesflow.core.embedded_db import ENGINE
from salesflow.core.embedded_db.server import EmbeddedDatabaseError


class Command(BaseCommand):
    help = "Start, stop or show the embedded PostgreSQL server (when DATABASE_URL is unset)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        settings_dict = connections["default"].settings_dict
        if settings_dict["ENGINE"] != ENGINE:
            raise CommandError(
                "DATABASE_URL is set, so salesflow uses that PostgreSQL and starts none of its own."
            )
        server = connections["default"].embedded_server
        try:
            if action == "start":
                pid = server.start(database=settings_dict["NAME"])
                self.stdout.write(f"Running (pid {pid}), socket in {server.folder}")
            elif action == "stop":
                stopped = server.stop()
                self.stdout.write("Stopped." if stopped else "It was not running.")
            else:
                pid = server.pid()
                self.stdout.write(
                    f"Running (pid {pid}), socket in {server.folder}"
                    if pid
                    else f"Not running; data in {server.data_dir}"
                )
        except EmbeddedDatabaseError as exc:
            raise CommandError(str(exc)) from None
