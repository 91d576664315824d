"""The embedded PostgreSQL: started by whoever connects first, one server per folder, and
back with its data after a crash.

Each test runs salesflow in separate processes on a folder of its own, with DATABASE_URL
unset, as ``make run`` does on a fresh machine, and stops its server at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from django.core.exceptions import ImproperlyConfigured

from salesflow import env
from salesflow.core.embedded_db.server import EmbeddedDatabaseError, EmbeddedServer
from tests.core.test_settings import ROOT, run_manage

SEARCH = textwrap.dedent(
    """
    from prospects.models import Account, Conversation
    from prospects.search.selectors import search
    from salesflow.core.models import User
    from django.db import connection
    from django.utils import timezone

    user, _ = User.objects.get_or_create(username="ops", defaults={"role": "admin"})
    if not Account.objects.exists():
        account = Account.objects.create(name="Kestrel Hospital", owner=user)
        Conversation.objects.create(
            account=account,
            logged_by=user,
            occurred_at=timezone.now(),
            channel="call",
            kind="qualifying",
            notes="Their radiologists want shorter queues",
        )
    found = search(user=user, text="radiolo")
    print("engine:", connection.vendor, connection.settings_dict["HOST"])
    print("found:", [c.account.name for c in found.conversations])
    """
)


def embedded(var_dir: Path) -> dict[str, str]:
    return {"DJANGO_SETTINGS_MODULE": "salesflow.settings.base", "SALESFLOW_VAR_DIR": str(var_dir)}


def postmasters(data_dir: Path) -> list[psutil.Process]:
    """Live postmasters of this data folder (its other processes carry no -D)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        command = process.info["cmdline"] or []
        if process.info["status"] != psutil.STATUS_ZOMBIE and str(data_dir) in command:
            found.append(process)
    return found


def test_starts_migrates_searches_and_comes_back_after_a_crash(embedded_var_dir):
    server = EmbeddedServer.for_var_dir(embedded_var_dir)
    migrate = run_manage("migrate", "--noinput", extra_env=embedded(embedded_var_dir), timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    assert (server.data_dir / "PG_VERSION").exists()
    assert server.socket_path.is_socket()
    first = server.pid()
    assert first is not None

    shell = run_manage("shell", "-c", SEARCH, extra_env=embedded(embedded_var_dir))
    assert shell.returncode == 0, shell.stderr
    assert f"engine: postgresql {embedded_var_dir / 'postgres'}" in shell.stdout
    # A prefix of a word in the notes: PostgreSQL's full-text search on its GIN index.
    assert "found: ['Kestrel Hospital']" in shell.stdout

    # Stopped cleanly, the next connection starts it again.
    assert server.stop()
    assert server.pid() is None
    again = run_manage("shell", "-c", SEARCH, extra_env=embedded(embedded_var_dir))
    assert again.returncode == 0, again.stderr
    assert "found: ['Kestrel Hospital']" in again.stdout

    # A crash: kill -9 of the postmaster leaves postmaster.pid behind naming a dead process
    # (a zombie on a machine whose init does not reap).
    crashed = server.pid()
    assert crashed is not None
    os.kill(crashed, signal.SIGKILL)
    psutil.wait_procs([psutil.Process(crashed)], timeout=10)
    assert (server.data_dir / "postmaster.pid").exists()
    assert server.pid() is None

    after = run_manage("shell", "-c", SEARCH, extra_env=embedded(embedded_var_dir))
    assert after.returncode == 0, after.stderr
    assert "found: ['Kestrel Hospital']" in after.stdout
    restarted = server.pid()
    assert restarted not in (None, crashed)
    assert len(postmasters(server.data_dir)) == 1
    # PostgreSQL itself replayed its log after the crash.
    assert "database system was interrupted" in server.log_path.read_text()


START = "from salesflow.core.embedded_db.server import EmbeddedServer; import sys; " + (
    "print(EmbeddedServer.for_var_dir(sys.argv[1]).start(database='salesflow'))"
)


def test_two_processes_starting_at_once_get_one_server(embedded_var_dir):
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", START, str(embedded_var_dir)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [starter.communicate(timeout=120) for starter in starters]
    assert [starter.returncode for starter in starters] == [0, 0], outputs
    pids = {int(stdout.strip()) for stdout, _ in outputs}
    server = EmbeddedServer.for_var_dir(embedded_var_dir)
    assert pids == {server.pid()}
    assert [process.pid for process in postmasters(server.data_dir)] == list(pids)
    # Asked again, it is the same server: nothing is started twice.
    assert server.start() in pids


def test_a_server_is_left_running_for_the_next_process(embedded_var_dir):
    server = EmbeddedServer.for_var_dir(embedded_var_dir)
    status = run_manage("embedded_db", "status", extra_env=embedded(embedded_var_dir))
    assert "Not running" in status.stdout
    start = run_manage("embedded_db", "start", extra_env=embedded(embedded_var_dir))
    assert start.returncode == 0, start.stderr
    pid = server.pid()
    assert f"Running (pid {pid})" in start.stdout
    time.sleep(0.5)  # the command's process has exited; the server has not
    assert server.pid() == pid
    stop = run_manage("embedded_db", "stop", extra_env=embedded(embedded_var_dir))
    assert "Stopped." in stop.stdout
    assert server.pid() is None


def test_a_socket_path_too_long_is_refused_with_what_to_do(tmp_path):
    server = EmbeddedServer(tmp_path / ("x" * 110))
    with pytest.raises(EmbeddedDatabaseError, match="SALESFLOW_VAR_DIR to a shorter folder"):
        server.start()


@pytest.mark.parametrize("url", ["mysql://db/salesflow", "file:///var/salesflow.db", "var/db"])
def test_only_postgresql_urls_are_accepted(url):
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL only") as refused:
        env.env_database("DATABASE_URL", environ={"DATABASE_URL": url})
    assert "Leave DATABASE_URL unset and salesflow starts a PostgreSQL server of its own" in str(
        refused.value
    )
    assert env.env_database("DATABASE_URL", environ={}) is None


def test_production_never_starts_an_embedded_server(tmp_path):
    result = run_manage(
        "check",
        extra_env={
            "DJANGO_SETTINGS_MODULE": "salesflow.settings.production",
            "SALESFLOW_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "k3y-" + "x7Q9pL2mZ4vB8nR1" * 4,
            "ALLOWED_HOSTS": "crm.example.test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr
    assert not (tmp_path / "postgres").exists()
