"""Strict readers for settings that come from the environment.

Every reader raises ImproperlyConfigured with the variable's name when a value is
malformed: a typo in production must stop the process at boot, not surface later
as a confusing runtime error.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_UNSET = object()


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None:
        return None
    return value.strip()


def env_str(name: str, default: Any = _UNSET, *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    if value is None or value == "":
        if default is _UNSET:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of true/false, yes/no, on/off, 1/0."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} must be at most {maximum}.")
    return number


def env_list(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    value = _raw(name, environ)
    if value is None or value == "":
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(
            f"{name}={value!r} has an empty item; separate values by commas."
        )
    return items


def env_int_list(
    name: str,
    default: list[int],
    *,
    minimum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[int]:
    """Whole numbers separated by commas, e.g. a retry schedule in seconds: "5,300,1800"."""
    numbers = []
    for item in env_list(name, [str(number) for number in default], environ=environ):
        try:
            number = int(item)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} has {item!r}, which is not a whole number."
            ) from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name} has {number}, below the minimum of {minimum}.")
        numbers.append(number)
    return numbers


def env_choice(
    name: str, default: str, choices: list[str], *, environ: Mapping[str, str] | None = None
) -> str:
    value = env_str(name, default, environ=environ)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of {', '.join(choices)}.")
    return value


def env_time_zone(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> str:
    value = env_str(name, default, environ=environ)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a known time zone (e.g. Europe/London)."
        ) from None
    return value


_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql"}


def env_database(name: str, *, environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """Parse a PostgreSQL database URL, or None when it is unset (the embedded server)."""
    url = _raw(name, environ)
    if not url:
        return None
    scheme = urlsplit(url).scheme
    if scheme not in _DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} must be a postgres:// URL, not {scheme or 'no scheme'!r}: salesflow "
            f"runs on PostgreSQL only. Leave {name} unset and salesflow starts a PostgreSQL "
            "server of its own under SALESFLOW_VAR_DIR (var/postgres/)."
        )
    try:
        config = dj_database_url.parse(url, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} could not be parsed: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database, e.g. postgres://host/salesflow.")
    return config


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASES entry as the postgres:// URL env_database reads back: for a process that
    must use the same database (in tests, the test database; with the embedded server, its
    socket folder as the host)."""
    credentials = quote(settings_dict.get("USER") or "", safe="")
    if settings_dict.get("PASSWORD"):
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    # A Unix socket's folder is spelt percent-encoded in the host part.
    host = quote(settings_dict.get("HOST") or "127.0.0.1", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def env_redis_url(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the Redis URL or None (embedded mode). Only redis:// and rediss:// are accepted."""
    value = _raw(name, environ)
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ImproperlyConfigured(f"{name}={value!r} must look like redis://host:6379/0.")
    try:
        parts.port  # noqa: B018 - accessing .port validates it
        db = parts.path.lstrip("/")
        if db and not db.isdigit():
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} has a bad port or database number.") from None
    return value


_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def env_email(
    name: str, default: str, *, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Parse EMAIL_URL into Django's EMAIL_* settings.

    smtp://user:password@host:587?tls=true, smtps://…:465 (implicit SSL), console://,
    locmem://, file:///path/to/folder, dummy://.
    """
    url = env_str(name, default, environ=environ)
    parts = urlsplit(url)
    backend = _EMAIL_BACKENDS.get(parts.scheme)
    if backend is None:
        raise ImproperlyConfigured(
            f"{name} scheme {parts.scheme!r} is not one of {', '.join(sorted(_EMAIL_BACKENDS))}."
        )
    config: dict[str, Any] = {"EMAIL_BACKEND": backend}
    if parts.scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name} must name the SMTP host.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a bad port.") from None
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        tls = env_bool("tls", False, environ=query)
        config.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port or (465 if parts.scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=tls,
        )
        if config["EMAIL_USE_SSL"] and tls:
            raise ImproperlyConfigured(f"{name}: smtps:// already encrypts; drop ?tls=true.")
    elif parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(f"{name} must name a folder, e.g. file:///var/mail.")
        config["EMAIL_FILE_PATH"] = parts.path
    return config


# What Django REST framework's throttles read: a count per second, minute, hour or day.
_RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> str:
    """A request rate such as "600/min": DRF reads only the period's first letter, so
    "10/mango" would quietly mean per minute; this refuses it at boot instead."""
    value = env_str(name, default, environ=environ)
    count, slash, period = value.partition("/")
    if not slash or not count.isascii() or not count.isdigit() or period not in _RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate; write a count per period, e.g. 600/min "
            "(periods: s, sec, second, m, min, minute, h, hour, d, day)."
        )
    if int(count) < 1:
        raise ImproperlyConfigured(f"{name}={value!r} must allow at least one request.")
    return f"{int(count)}/{period}"
