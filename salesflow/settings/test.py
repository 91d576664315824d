"""Test settings: PostgreSQL always, Redis when it is configured or answers locally.

``make test`` uses DATABASE_URL when set, else the embedded PostgreSQL under var/ (started
on first use, like ``make run``'s). It uses REDIS_URL when set, else probes Redis's default
local port; without Redis the tests that need it skip (or, in CI, fail). The conftest reads
TEST_SERVICES to decide.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/1"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def _xdist_worker_number() -> int | None:
    """pytest-xdist's worker number (gw0 -> 0, gw1 -> 1), None outside a parallel run.

    xdist sets PYTEST_XDIST_WORKER before the worker loads these settings; a process that a
    test starts inherits it, and so lands on the same Redis database as its test.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def _per_worker(url: str | None, worker: int | None) -> str | None:
    """The URL's Redis database moved on by the xdist worker's number: gw0 keeps the URL's
    own, gw1 takes the next. The Celery-worker fixture purges and consumes the test queue, so
    two pytest processes sharing a database would purge, and run, each other's tasks."""
    if not url or worker is None:
        return url
    parts = urlsplit(url)
    database = int(parts.path.lstrip("/") or 0) + worker
    if database > 15:  # Redis's default "databases 16"
        raise ImproperlyConfigured(
            f"REDIS_URL={url!r}: xdist worker gw{worker} would need Redis database "
            f"{database}; start from a lower database number or run fewer workers."
        )
    return parts._replace(path=f"/{database}").geturl()


XDIST_WORKER = _xdist_worker_number()
REDIS_URL = _per_worker(
    os.environ.get("REDIS_URL") or (LOCAL_REDIS_URL if _answers("127.0.0.1", 6379) else None),
    XDIST_WORKER,
)

TEST_SERVICES = {"redis": REDIS_URL is not None}

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT = None
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# Test workers consume a queue of their own, never a developer's running worker's; under
# xdist each pytest process has its own too (belt and braces with the database above).
CELERY_TASK_DEFAULT_QUEUE = "salesflow-tests" + (
    f"-gw{XDIST_WORKER}" if XDIST_WORKER is not None else ""
)

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Serve static files from the source folders, as in development: no collectstatic for tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Off whatever the environment says; the tests of two-factor sign-in turn it on themselves.
SALESFLOW_REQUIRE_2FA = False
# Tests run their webhook receivers on http://127.0.0.1; the tests of the safety checks turn
# both back off, as in production.
SALESFLOW_WEBHOOKS_ALLOW_HTTP = True
SALESFLOW_WEBHOOKS_ALLOW_PRIVATE = True
