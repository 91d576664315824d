"""Test settings: PostgreSQL always, Redis when it is configured or answers locally.

``make test`` uses DATABASE_URL when set, else the embedded PostgreSQL under var/ (started
on first use, like ``make run``'s). It uses REDIS_URL when set, else probes Redis's default
local port; without Redis the tests that need it skip (or, in CI, fail). The conftest reads
TEST_SERVICES to decide.
"""

from __future__ import annotations

import os
import socket

from .base import *  # noqa: F403

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/1"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


REDIS_URL = os.environ.get("REDIS_URL") or (
    LOCAL_REDIS_URL if _answers("127.0.0.1", 6379) else None
)

TEST_SERVICES = {"redis": REDIS_URL is not None}

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT = None
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# Test workers consume a queue of their own, never a developer's running worker's.
CELERY_TASK_DEFAULT_QUEUE = "salesflow-tests"

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
