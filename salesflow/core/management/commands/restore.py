"""Restore a backup made by ``manage.py backup`` into the configured database.

    manage.py restore var/backups/salesflow-0.1.0-20261207-140700.dump
    manage.py restore - < salesflow-0.1.0-20261207-140700.dump   # from standard input

The database must be empty (no tables): restore never drops or overwrites data. Create a
new database, point salesflow at it (DATABASE_URL, or a fresh SALESFLOW_VAR_DIR for the
embedded server) without migrating it, restore, then run ``manage.py migrate`` if this
salesflow is newer than the backup.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.template.defaultfilters import pluralize

from salesflow.core.backup import BackupError, archive_info, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into the (empty) configured database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="the .dump file made by manage.py backup, or - for standard input"
        )

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        if file != "-":
            self.restore(Path(file), Path(file).name)
            return
        # A container reads the host's file this way (`docker compose run -T … restore - <
        # file`) whoever owns it; pg_restore reads the file twice, so it is kept meanwhile.
        with tempfile.NamedTemporaryFile(suffix=".dump") as copy:
            shutil.copyfileobj(sys.stdin.buffer, copy)
            copy.flush()
            self.restore(Path(copy.name), "the backup on standard input")

    def restore(self, path: Path, name: str) -> None:
        connection = connections["default"]
        try:
            info = archive_info(path)
            self.stdout.write(
                f"Restoring {name}: {info.describe()}, into the database "
                f"{connection.settings_dict['NAME']}."
            )
            result = backup_restore(connection=connection, path=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"Cannot reach the database: {exc}") from None
        self.stdout.write(f"Restored {result.tables} tables:")
        for plural, count in result.counts:
            self.stdout.write(f"  {plural:<24} {count:>8}")
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if unapplied:
            self.stdout.write(
                f"This salesflow has {len(unapplied)} migration{pluralize(len(unapplied))} "
                "the backup has not: run `manage.py migrate` before starting it."
            )
