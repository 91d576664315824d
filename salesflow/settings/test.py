"""Test settings: PostgreSQL and Redis when they are configured or answer locally.

``make test`` uses DATABASE_URL / REDIS_URL when set, else probes the default local
ports; without servers it runs on SQLite and the tests that need a server skip (or, in
CI, fail). The conftest reads TEST_SERVICES to decide.
"""

from __future__ import annotations

import os
import socket

from salesflow.env import env_database

from .base import *  # noqa: F403
from .base import DATABASES

LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/salesflow"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/1"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


if not os.environ.get("DATABASE_URL") and _answers("127.0.0.1", 5432):
    DATABASES = {"default": env_database("DATABASE_URL", LOCAL_POSTGRES_URL)}

REDIS_URL = os.environ.get("REDIS_URL") or (
    LOCAL_REDIS_URL if _answers("127.0.0.1", 6379) else None
)

TEST_SERVICES = {
    "postgres": DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
    "redis": REDIS_URL is not None,
}

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
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
