"""Restore a backup made by ``manage.py backup`` into the configured database.

    manage.py restore var/backups/salesflow-0.1.0-20261207-140700.dump

The database must be empty (no tables): restore never drops or overwrites data. Create a
new database, point salesflow at it (DATABASE_URL, or a fresh SALESFLOW_VAR_DIR for the
embedded server) without migrating it, restore, then run ``manage.py migrate`` if this
salesflow is newer than the backup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

from salesflow.core.backup import BackupError, archive_info, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into the (empty) configured database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .dump file made by manage.py backup")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        connection = connections["default"]
        try:
            info = archive_info(file)
            self.stdout.write(
                f"Restoring {file.name}: {info.describe()}, into the database "
                f"{connection.settings_dict['NAME']}."
            )
            result = backup_restore(connection=connection, path=file)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"Cannot reach the database: {exc}") from None
        self.stdout.write(f"Restored {result.tables} tables:")
        for name, count in result.counts:
            self.stdout.write(f"  {name:<24} {count:>8}")
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if unapplied:
            self.stdout.write(
                f"This salesflow has {len(unapplied)} migrations the backup has not: "
                "run `manage.py migrate` before starting it."
            )
