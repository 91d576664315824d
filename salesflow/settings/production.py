"""Production: PostgreSQL, Redis, HTTPS behind a proxy. Passes ``manage.py check --deploy``."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from salesflow.env import env_bool, env_int, env_list, env_str

from .base import *  # noqa: F403
from .base import INSECURE_DEV_SECRET_KEY, REDIS_URL

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY == INSECURE_DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be a long random value of 50 characters or more.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names salesflow answers to.")
env_str("DATABASE_URL")  # production never starts the embedded PostgreSQL
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production (Celery broker and cache).")

# TLS ends at the proxy in front of gunicorn, which tells us the original scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# Webhooks to https:// only, unless set (base.py would follow DEBUG).
SALESFLOW_WEBHOOKS_ALLOW_HTTP = env_bool("SALESFLOW_WEBHOOKS_ALLOW_HTTP", False)
# Admins and sales ops sign in with a second factor in production unless this says otherwise.
SALESFLOW_REQUIRE_2FA = env_bool("SALESFLOW_REQUIRE_2FA", True)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
