"""manage.py backup and restore: what is backed up comes back, row for row, into an empty
database — never into one that holds data, and never half.

The test database is on the machine's PostgreSQL 15 (or the embedded 18 under ``make
test``); each restore goes into a new database on the same server, through ``manage.py
restore`` in a process of its own pointed at it, as a person would run it. One test does the
same on the embedded server, from one ``SALESFLOW_VAR_DIR`` into a fresh one.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg2 import sql

import salesflow
from salesflow.core import backup
from salesflow.core.embedded_db.server import EmbeddedServer
from salesflow.env import database_url
from tests.core.test_embedded_db import SEARCH, embedded
from tests.core.test_settings import ROOT, run_manage

# The tables the brief of a backup is about: people, the rep's workspace and the pipeline.
KEY_TABLES = [
    "core_user",
    "prospects_account",
    "prospects_contact",
    "prospects_conversation",
    "pipeline_opportunity",
    "pipeline_stagechange",
    "pipeline_followup",
]
NAME = re.compile(r"^salesflow-0\.1\.0-\d{8}-\d{6}\.dump$")


# --- Helpers -------------------------------------------------------------------------------


def dsn(name: str | None = None) -> str:
    """A DSN for the database `name` (by default the test database) on the test server."""
    entry = connection.settings_dict
    return psycopg2.extensions.make_dsn(
        host=entry["HOST"],
        port=entry["PORT"] or None,
        user=entry["USER"],
        password=entry["PASSWORD"] or None,
        dbname=name or entry["NAME"],
    )


def fingerprint(target: Any) -> dict[str, Any]:
    """Every table in public: its row count and an md5 of all its rows; every sequence's
    position (so that the next row restored data gets cannot collide with a restored one).

    `target`: a psycopg2 connection, or a DSN to open (and close) one."""
    conn = psycopg2.connect(target) if isinstance(target, str) else target
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            tables = [name for (name,) in cursor.fetchall()]
            found: dict[str, Any] = {}
            for table in tables:
                cursor.execute(
                    sql.SQL(
                        "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' "
                        "ORDER BY t::text COLLATE \"C\"), '')) FROM public.{} t"
                    ).format(sql.Identifier(table))
                )
                found[table] = cursor.fetchone()
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = 'public' ORDER BY 1"
            )
            found["sequences"] = cursor.fetchall()
            return found
    finally:
        if conn is not target:
            conn.close()


@contextmanager
def new_database() -> Iterator[str]:
    """A new, empty database on the test database's server, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_r_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(dsn("postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


def remote(name: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a salesflow whose DATABASE_URL is the database `name` on the test
    database's server."""
    return {
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.base",
        "SALESFLOW_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url({**connection.settings_dict, "NAME": name}),
    }


def restore_into(name: str, file: Path, tmp_path: Path) -> Any:
    """`manage.py restore FILE` in a process of its own, into the database `name`."""
    return run_manage("restore", str(file), extra_env=remote(name, tmp_path), timeout=300)


def make_backup(output: Path) -> tuple[Path, str]:
    out = io.StringIO()
    call_command("backup", output=output, stdout=out)
    printed = out.getvalue()
    path = Path(re.search(r"Backed up to (\S+) \(", printed)[1])
    return path, printed


# --- The version ---------------------------------------------------------------------------


def test_the_version_is_written_once_and_pyproject_repeats_it():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == salesflow.__version__


# --- Backing up and restoring --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_demo_restores_into_a_new_database_row_for_row(
    shipped_rows,  # seed_demo's deals go into the default pipeline
    tmp_path,
):
    # Committed (transaction=True): pg_dump is another session and sees only what is.
    call_command("seed_demo", force=True, stdout=io.StringIO())
    source = fingerprint(dsn())
    for table in KEY_TABLES:
        assert source[table][0] > 0, f"the demo should fill {table}"

    path, printed = make_backup(tmp_path / "backups")
    assert path.parent == tmp_path / "backups"
    assert NAME.match(path.name), path.name
    assert re.search(r"\(\d+(\.\d)? KB\)$", printed.strip()), printed  # its size
    # Only the backup is left in the folder (no temporary file), readable by its owner only.
    assert list(path.parent.iterdir()) == [path]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    with new_database() as name:
        restored = restore_into(name, path, tmp_path)
        assert restored.returncode == 0, restored.stderr
        assert f"Restoring {path.name}: salesflow 0.1.0, taken " in restored.stdout
        assert f"Restored {len(source) - 1} tables:" in restored.stdout
        accounts = source["prospects_account"][0]
        assert re.search(rf"^  accounts +{accounts}$", restored.stdout, re.M), restored.stdout
        deals = source["pipeline_opportunity"][0]
        assert re.search(rf"^  deals +{deals}$", restored.stdout, re.M), restored.stdout
        copy = fingerprint(dsn(name))

    # Every table: the same rows (count and checksum); every sequence where it was.
    assert copy.keys() == source.keys()
    different = [table for table in source if copy[table] != source[table]]
    assert different == []


@pytest.mark.django_db
def test_restore_refuses_a_database_that_holds_tables_and_changes_nothing(tmp_path):
    path, _ = make_backup(tmp_path)
    before = fingerprint(connection.connection)
    with pytest.raises(CommandError, match=r"is not empty: it has .* Restore only goes into an"):
        call_command("restore", str(path), stdout=io.StringIO())
    assert fingerprint(connection.connection) == before


@pytest.mark.django_db
def test_backup_writes_to_a_named_file_and_never_overwrites_one(tmp_path):
    target = tmp_path / "nightly" / "crm.dump"
    path, _ = make_backup(target)
    assert path == target
    first = target.read_bytes()
    with pytest.raises(CommandError, match="already exists; a backup never overwrites"):
        call_command("backup", output=target, stdout=io.StringIO())
    assert target.read_bytes() == first
    assert sorted(p.name for p in target.parent.iterdir()) == ["crm.dump"]


@pytest.mark.django_db
def test_backup_goes_to_the_var_folder_by_default(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    path, _ = make_backup(None)
    assert path.parent == tmp_path / "backups"
    assert NAME.match(path.name)


def test_an_unreachable_server_is_a_clear_error_and_leaves_no_file(tmp_path):
    done = run_manage(
        "backup",
        "--output",
        str(tmp_path / "out"),
        extra_env={
            "DJANGO_SETTINGS_MODULE": "salesflow.settings.base",
            "SALESFLOW_VAR_DIR": str(tmp_path / "var"),
            # Nothing listens on port 1.
            "DATABASE_URL": "postgres://postgres:secret-pw@127.0.0.1:1/salesflow",
        },
    )
    assert done.returncode == 1
    assert "CommandError: pg_dump failed:" in done.stderr
    assert "Connection refused" in done.stderr
    assert "Traceback" not in done.stderr
    assert "secret-pw" not in done.stderr
    # pg_dump's temporary file is gone with it: nothing that looks like a backup stays.
    assert list((tmp_path / "out").iterdir()) == []


def test_the_password_reaches_pg_dump_through_the_environment_not_its_arguments():
    arguments, env = backup._connection(
        {"HOST": "db", "PORT": "5432", "USER": "salesflow", "PASSWORD": "p4ss", "NAME": "crm"}
    )
    assert "p4ss" not in " ".join(arguments)
    assert env["PGPASSWORD"] == "p4ss"
    assert arguments == ["-U", "salesflow", "-h", "db", "-p", "5432", "crm"]


# --- Damaged files -------------------------------------------------------------------------


@pytest.mark.django_db
def test_what_is_not_a_backup_gets_a_clear_error_never_a_traceback(tmp_path):
    env = remote(connection.settings_dict["NAME"], tmp_path)
    missing = run_manage("restore", str(tmp_path / "nope.dump"), extra_env=env)
    assert missing.returncode == 1
    assert f"CommandError: {tmp_path / 'nope.dump'} does not exist" in missing.stderr
    text = tmp_path / "notes.dump"
    text.write_text("CREATE TABLE accounts (id int);\n")
    called = run_manage("restore", str(text), extra_env=env)
    assert called.returncode == 1
    assert "is not a backup salesflow can restore" in called.stderr
    assert "Traceback" not in missing.stderr + called.stderr


@pytest.mark.django_db
def test_a_file_damaged_in_its_data_restores_nothing(tmp_path):
    path, _ = make_backup(tmp_path)
    damaged = tmp_path / "damaged.dump"
    content = bytearray(path.read_bytes())
    # The table of contents is at the front and stays readable; the table data near the
    # end is compressed, and zeros in it cannot be uncompressed.
    content[-2000:-1000] = bytes(1000)
    damaged.write_bytes(bytes(content))
    with new_database() as name:
        restored = restore_into(name, damaged, tmp_path)
        assert restored.returncode == 1, restored.stdout
        assert "could not be read to the end, so nothing was restored" in restored.stderr
        assert "Traceback" not in restored.stderr
        empty = fingerprint(dsn(name))
        assert empty == {"sequences": []}


@pytest.mark.django_db
def test_a_statement_the_server_refuses_undoes_the_whole_restore(a_backup, tmp_path):
    with new_database() as name:
        # No table, so restore goes ahead; but the name of one of the backup's tables is
        # taken (by a type), and creating that table fails half-way through the restore.
        with closing(psycopg2.connect(dsn(name))) as conn, conn, conn.cursor() as cursor:
            cursor.execute("CREATE TYPE public.prospects_account AS (x int)")
        restored = restore_into(name, a_backup, tmp_path)
        assert restored.returncode == 1
        assert "The restore failed and was undone" in restored.stderr
        assert 'relation "prospects_account" already exists' in restored.stderr
        assert "Traceback" not in restored.stderr
        assert fingerprint(dsn(name)) == {"sequences": []}  # the tables before it are gone too


@pytest.fixture
def a_backup(db, tmp_path_factory) -> Path:
    # The migrated test database: its schema and the rows migrations write (committed).
    path, _ = make_backup(tmp_path_factory.mktemp("backup"))
    return path


@pytest.fixture
def empty_database(db) -> Iterator[Any]:
    with new_database() as name:
        target = type(connections["default"])(
            {**connection.settings_dict, "NAME": name}, alias="target"
        )
        yield target
        target.close()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_damage_restores_everything_or_nothing(a_backup, empty_database, data, tmp_path):
    content = bytearray(a_backup.read_bytes())
    damage = data.draw(st.sampled_from(["truncate", "overwrite", "noise"]))
    if damage == "truncate":
        content = content[: data.draw(st.integers(0, len(content) - 1))]
    elif damage == "overwrite":
        at = data.draw(st.integers(0, len(content) - 1))
        patch = data.draw(st.binary(min_size=1, max_size=64))
        content[at : at + len(patch)] = patch
    else:
        content = bytearray(data.draw(st.binary(max_size=2000)))
    file = tmp_path / f"{uuid.uuid4().hex}.dump"
    file.write_bytes(bytes(content))

    failure = None
    try:
        backup.backup_restore(connection=empty_database, path=file)
    except backup.BackupError as exc:
        failure = str(exc)
    try:
        if failure is not None:
            assert failure.strip()
            assert backup.tables_in(empty_database) == []
        else:
            # Damage pg_restore cannot notice (in a comment, say): then all of it is there.
            restored = backup.tables_in(empty_database, kinds="r")
            assert len(restored) == backup.archive_info(a_backup).tables
            with empty_database.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        file.unlink()


@pytest.mark.django_db
def test_restore_reads_the_backup_from_standard_input(a_backup, tmp_path):
    # As in a container that cannot see the host's file: `restore - < file`.
    with new_database() as name:
        done = subprocess.run(
            [sys.executable, "manage.py", "restore", "-"],
            cwd=ROOT,
            env={"PATH": os.environ["PATH"], **remote(name, tmp_path)},
            stdin=a_backup.open("rb"),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Restoring the backup on standard input: salesflow, taken " in done.stdout
        assert fingerprint(dsn(name)) == fingerprint(dsn())


@pytest.mark.django_db
def test_restoring_an_older_backup_says_to_migrate(a_backup, tmp_path):
    with new_database() as older, new_database() as name:
        assert restore_into(older, a_backup, tmp_path).returncode == 0
        with closing(psycopg2.connect(dsn(older))) as conn, conn, conn.cursor() as cursor:
            # As if taken before salesflow's latest migration of the core app.
            cursor.execute(
                "DELETE FROM django_migrations WHERE id = "
                "(SELECT max(id) FROM django_migrations WHERE app = 'core')"
            )
        path = tmp_path / "older.dump"
        backup.backup_create(settings_dict={**connection.settings_dict, "NAME": older}, path=path)
        restored = restore_into(name, path, tmp_path)
        assert restored.returncode == 0, restored.stderr
        assert "This salesflow has 1 migration the backup has not: run `manage.py migrate`" in (
            restored.stdout
        )
    # A backup of this salesflow's own schema needs no migrating.
    with new_database() as name:
        current = restore_into(name, a_backup, tmp_path)
        assert current.returncode == 0, current.stderr
        assert "migrate" not in current.stdout


# --- The header line servers before 17 refuse -----------------------------------------------


def test_set_transaction_timeout_is_dropped_from_the_header_only():
    script = (
        b"BEGIN;\nSET statement_timeout = 0;\nSET transaction_timeout = 0;\nSET x = 1;\n"
        + b"COPY public.t (note) FROM stdin;\n"
        + b"SET transaction_timeout = 0;\n" * 50
        + b"\\.\nCOMMIT;\n"
    )
    dropped = io.BytesIO()
    backup._copy(io.BytesIO(script), dropped, drop_transaction_timeout=True)
    assert dropped.getvalue() == script.replace(b"SET transaction_timeout = 0;\n", b"", 1)
    kept = io.BytesIO()
    backup._copy(io.BytesIO(script), kept, drop_transaction_timeout=False)
    assert kept.getvalue() == script


# --- The embedded server -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_embedded_server_backs_up_and_restores_into_a_fresh_one(embedded_var_dir, tmp_path):
    old = embedded(embedded_var_dir)
    # The demo would take as long again to seed: a user, an account and a conversation do.
    for step in (("migrate", "--noinput"), ("shell", "-c", SEARCH)):
        done = run_manage(*step, extra_env=old, timeout=300)
        assert done.returncode == 0, done.stderr
    taken = run_manage("backup", extra_env=old, timeout=300)
    assert taken.returncode == 0, taken.stderr
    (path,) = (embedded_var_dir / "backups").iterdir()
    assert NAME.match(path.name)
    assert str(path) in taken.stdout

    # Another machine: a new var folder, whose server restore starts (and creates its
    # database) — nothing migrated there first.
    fresh = Path(tempfile.mkdtemp(prefix="salesflow-test-"))
    try:
        restored = run_manage("restore", str(path), extra_env=embedded(fresh), timeout=300)
        assert restored.returncode == 0, restored.stderr
        assert "from PostgreSQL 18." in restored.stdout
        before = fingerprint(EmbeddedServer.for_var_dir(embedded_var_dir).dsn("salesflow"))
        after = fingerprint(EmbeddedServer.for_var_dir(fresh).dsn("salesflow"))
        assert before["prospects_conversation"][0] == 1
        assert after == before
    finally:
        EmbeddedServer.for_var_dir(fresh).stop()
        shutil.rmtree(fresh, ignore_errors=True)

    # And onto a server of its own: the laptop's embedded 18 into a compose stack's 15.
    # PostgreSQL promises only same-or-newer; salesflow's schema needs nothing newer.
    with new_database() as name:
        moved = restore_into(name, path, tmp_path)
        assert moved.returncode == 0, moved.stderr
        assert fingerprint(dsn(name)) == before
