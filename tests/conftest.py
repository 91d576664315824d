"""Shared fixtures: users by role, a real Celery worker, and a Chromium browser.

Every test runs on PostgreSQL (DATABASE_URL's, or the embedded one). Tests that need Redis
or Chromium carry a marker (``redis``, ``browser``). Without it they are skipped with the
reason; in CI (CI=true) they fail instead, so a missing service can never turn a red run
green.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import TeamFactory, UserFactory
from tests.shipped import put_back_shipped_rows

CHROMIUM = os.environ.get("SALESFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "artifacts"

_MISSING = {
    "redis": "needs Redis: set REDIS_URL or run it on 127.0.0.1:6379",
    "browser": f"needs Chromium at {CHROMIUM} (apt-get install chromium)",
}


def _available(service: str) -> bool:
    if service == "browser":
        return os.access(CHROMIUM, os.X_OK)
    return settings.TEST_SERVICES[service]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if any(item.get_closest_marker("browser") for item in items):
        # Playwright's sync API keeps an event loop running in the main thread from its
        # first use until the session ends, and Django refuses ORM calls (the test data,
        # the test database's teardown) from a thread with a running loop. Our test code is
        # synchronous, so the guard is switched off for sessions that include a browser test.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: what one test kept (the dashboard's figures,
    counters) must not answer for the next one's data."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _shipped(django_db_setup, django_db_blocker) -> str:
    """The rows the migrations wrote (the default pipeline, close reasons, patience rules,
    the question library…), taken before the first test: pytest-django runs the transactional
    tests last, and each one's flush takes these rows away from the ones after it."""
    with django_db_blocker.unblock():
        return connection.creation.serialize_db_to_string()


@pytest.fixture
def shipped_rows(transactional_db, _shipped) -> None:
    """For a transactional test that needs what the migrations wrote."""
    put_back_shipped_rows(_shipped)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    for service, reason in _MISSING.items():
        if item.get_closest_marker(service) and not _available(service):
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI: {reason}", pytrace=False)
            pytest.skip(reason)


# --- People ---------------------------------------------------------------------------


@pytest.fixture
def team(db):
    return TeamFactory()


@pytest.fixture
def rep(team):
    return UserFactory(role="rep", team=team, first_name="Rita", last_name="Rep")


@pytest.fixture
def teammate(team):
    return UserFactory(role="rep", team=team, first_name="Theo", last_name="Mate")


@pytest.fixture
def outsider(db):
    return UserFactory(role="rep", team=TeamFactory(), first_name="Olga", last_name="Out")


@pytest.fixture
def manager(team):
    user = UserFactory(role="manager", team=team, first_name="Mona", last_name="Manager")
    team.manager = user
    team.save(update_fields=["manager"])
    return user


# --- Embedded PostgreSQL --------------------------------------------------------------


@pytest.fixture
def embedded_var_dir() -> Iterator[Path]:
    """A SALESFLOW_VAR_DIR for a private embedded PostgreSQL, stopped and removed afterwards.

    Not under pytest's tmp_path: as root the server runs as another user, who must pass
    through every parent folder, and pytest closes its own folder to others again whenever
    a session starts (another run's session included).
    """
    from salesflow.core.embedded_db.server import EmbeddedServer

    folder = Path(tempfile.mkdtemp(prefix="salesflow-test-"))
    yield folder
    EmbeddedServer.for_var_dir(folder).stop()
    shutil.rmtree(folder, ignore_errors=True)


# --- Celery ---------------------------------------------------------------------------


@pytest.fixture
def celery_worker_thread(transactional_db) -> Iterator[object]:
    """A real Celery worker, in a thread, consuming the test queue on Redis.

    Use with ``@pytest.mark.django_db(transaction=True)``: the worker has its own database
    connection, so it sees only committed rows.
    """
    import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping, which start_worker expects
    from celery.contrib.testing.worker import start_worker

    from salesflow.celery import app

    with app.connection_for_write() as connection:
        app.control.purge(connection=connection)
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING"
    ) as worker:
        yield worker


# --- Browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium: Playwright cannot download its own browser here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot under var/artifacts/screenshots/ and return its path."""

    def take(page, name: str) -> Path:
        folder = ARTIFACTS / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
