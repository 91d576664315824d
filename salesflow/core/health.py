"""Reachability checks for /healthz: the database and the Celery broker."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.db import DatabaseError, connection
from kombu import Connection

BROKER_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail}


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return Check(ok=False, detail=f"database unreachable: {type(exc).__name__}")
    return Check(ok=True, detail=connection.vendor)


def check_broker(url: str, transport_options: dict[str, object]) -> Check:
    if url.startswith("filesystem://"):
        # The embedded broker is a folder: reachable means it exists and we may write to it.
        folder = str(transport_options.get("data_folder_in", ""))
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK):
            return Check(ok=True, detail="filesystem")
        return Check(ok=False, detail="broker folder missing or read-only")
    options = {
        **transport_options,
        # Fail fast: a health probe must answer before the load balancer gives up on it.
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
        "max_retries": 0,
    }
    try:
        with Connection(
            url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options
        ) as conn:
            conn.connect()
            transport = conn.transport_cls
    except Exception as exc:  # noqa: BLE001 - any failure to reach the broker means "down"
        return Check(ok=False, detail=f"broker unreachable: {type(exc).__name__}")
    return Check(ok=True, detail=str(transport))
