"""Real processes for the fault tests: a Redis of the test's own, Celery worker processes on
it, and the environment they share with the test database.

Every test that starts one of these may run beside another pytest process (``make test``
runs the suite on two): nothing here uses a fixed port, a shared Redis database or a
process name, and what a test starts it ends by process id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis

from salesflow.env import database_url

REDIS_START_ATTEMPTS = 5


def free_port() -> int:
    """A port nothing listens on just now (the kernel's choice, so two callers rarely clash;
    start_redis checks that the server answering is really its own)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ClosedPort:
    """A port bound but never listening: connections to it are refused, as by a server that
    is down, and no other test (in this process or another) can take it meanwhile. Closing
    it and starting a server on its port at once is how a test brings that server "back"."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]

    def release(self) -> int:
        """Free the port for the server that comes up on it; returns the port."""
        self._socket.close()
        return self.port

    def __del__(self) -> None:  # a test that never brings the server back: close it quietly
        self._socket.close()


def process_env(settings, **extra: str) -> dict[str, str]:
    """The environment for a separate salesflow process that uses the test database (and,
    unless ``extra`` names another, the test's own Redis database)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.base",
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "DEBUG": "true",
    }
    if env.get("REDIS_URL") and settings.REDIS_URL:
        # Under xdist the test settings moved this pytest process to a Redis database of its
        # own; the process it starts reads the plain settings, so it is told which one.
        env["REDIS_URL"] = settings.REDIS_URL
    return {**env, **extra}


def _own_redis_answers(server: subprocess.Popen, port: int) -> bool:
    """True once the Redis on ``port`` answers and is ``server`` itself, not a server another
    test started on the same port a moment earlier."""
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
    try:
        return client.info("server")["process_id"] == server.pid
    except redis.RedisError:
        return False
    finally:
        client.close()


def start_redis(folder: Path, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """A Redis nobody else uses, answering before this returns: (the process, its port).

    Without ``port`` a free one is chosen, and another is tried if someone takes it first;
    with ``port`` (a restart on the port the test's clients know) only that one.
    """
    for _ in range(1 if port is not None else REDIS_START_ATTEMPTS):
        chosen = port if port is not None else free_port()
        server = subprocess.Popen(
            [
                *("redis-server", "--port", str(chosen), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(folder)),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server.poll() is None:
            if _own_redis_answers(server, chosen):
                return server, chosen
            time.sleep(0.05)
        # Exited (the port was taken) or never answered: not ours to use.
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
    raise AssertionError("the test's Redis did not start")


def celery_worker(settings, env: dict[str, str], *options: str) -> subprocess.Popen:
    """A ``celery worker`` process of salesflow's, quiet, with ``env`` (see process_env)."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "salesflow", "worker"),
            *("--without-gossip", "--without-mingle", "--loglevel", "WARNING"),
            *options,
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool children at once, as a lost machine would."""
    parent = psutil.Process(process.pid)
    for child in parent.children(recursive=True):
        child.send_signal(signal.SIGKILL)
    parent.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def end(*processes: subprocess.Popen | None) -> None:
    """Kill what is still running of ``processes`` (a test's clean-up)."""
    for process in processes:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)
