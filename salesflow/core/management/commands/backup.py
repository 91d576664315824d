"""Back the database up to a file that ``manage.py restore`` loads again.

    manage.py backup                      # into <SALESFLOW_VAR_DIR>/backups/
    manage.py backup --output /somewhere  # into that folder
    manage.py backup --output x.dump      # into that file

Works while salesflow runs: pg_dump reads one consistent snapshot and blocks no one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from salesflow.core.backup import BackupError, backup_create, backup_path
from salesflow.core.embedded_db import ENGINE


class Command(BaseCommand):
    help = "Back the database up to a pg_dump custom-format file named after the version and time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="a folder for the backup (made if missing), or a file ending in .dump "
            "(default: <SALESFLOW_VAR_DIR>/backups/)",
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        connection = connections["default"]
        if connection.settings_dict["ENGINE"] == ENGINE:
            # pg_dump cannot start the embedded server; a connection of Django's does.
            try:
                connection.ensure_connection()
            except DatabaseError as exc:
                raise CommandError(f"Cannot reach the database: {exc}") from None
        try:
            path = backup_path(output=output, now=timezone.now())
            size = backup_create(settings_dict=connection.settings_dict, path=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Backed up to {path} ({filesizeformat(size).replace(chr(160), ' ')})")
