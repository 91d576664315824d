"""Who made a change and through which door, attached to the audit events a write triggers.

pghistory passes its context to the triggers as transaction-local settings, prefixed to
each write statement (selects and DDL are left alone) while a context is open: one set_config
in the same round trip as the write, no extra query. The triggers copy the JSON into the
event row. What each door contributes:

- pages and the admin: AuditMiddleware (pghistory's, on POST/PUT/PATCH/DELETE), the path;
- the API: the same middleware opens it, ApiTokenAuthentication names the token;
- Celery tasks: task_prerun / task_postrun (connected in CoreConfig.ready()), the task's
  name, and the user when the task's arguments name one (actor_id / user_id);
- management commands: manage.py runs every command inside command_context();
- the CSV import and the merge: their services open audit_context() themselves.

Anything else (a bulk update from a shell script, raw SQL in psql, a migration run by
something other than manage.py) is recorded without context: the door "system".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pghistory
from django.db import connection
from django.http import HttpRequest
from django.urls import reverse
from pghistory import config as pghistory_config
from pghistory.middleware import HistoryMiddleware

# The doors, as stored in the context's "door" and offered to a filter.
PAGE, API, ADMIN, TASK, COMMAND, IMPORT, SYSTEM = (
    "page",
    "api",
    "admin",
    "task",
    "command",
    "import",
    "system",
)
# Paths whose rest is a secret (a calendar feed's token): recorded only up to the secret.
SECRET_PATHS = ("/calendar/feed/",)
# Commands left without a context: servers and workers (their requests and tasks carry their
# own), and backup / restore, which write no audited row through Django (pg_restore creates
# the triggers after loading the data) and compose SQL with psycopg's sql module, which
# pghistory's statement prefix cannot read.
UNWRAPPED_COMMANDS = frozenset({"runserver", "celery", "backup", "restore"})


@contextmanager
def audit_context(**metadata: Any) -> Iterator[None]:
    """Attach `metadata` (door, detail, user…) to the events written inside the block.

    Nested blocks override the outer one's keys and put them back on leaving, so an import
    run by a task inside a page's request records "import", and what the page writes after
    it records "page" again. (pghistory's own nesting merges keys for good.)"""
    with pghistory.context() as ctx:
        saved = dict(ctx.metadata)
        ctx.metadata.update(metadata)
        try:
            yield
        finally:
            ctx.metadata.clear()
            ctx.metadata.update(saved)
    forget()


def forget() -> None:
    """Clear the context the triggers read, when the block that set it ends inside a longer
    transaction. pghistory sets it transaction-locally with each write, so it ends with the
    transaction; but a later write in the same transaction, outside any block, would still
    read it and be credited to a door it did not come through. Not needed (and not run)
    after an error: the rollback takes the settings back with it."""
    if connection.in_atomic_block and not connection.needs_rollback:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pghistory.context_id', '', true), "
                "set_config('pghistory.context_metadata', '', true)"
            )


def attach(**metadata: Any) -> None:
    """Add to the open context, if there is one (a request's, a task's): the API's token
    name is known only once DRF has authenticated the request."""
    pghistory.context(**metadata)


def _admin_prefix() -> str:
    return reverse("admin:index")


class AuditMiddleware(HistoryMiddleware):
    """pghistory's middleware with the door: "admin" under the admin's path, "api" under
    /api/, else "page"; the detail is the path (a token's name for the API, set later)."""

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().get_context(request)
        path = request.path
        if path.startswith(_admin_prefix()):
            door = ADMIN
        elif path.startswith("/api/"):
            door = API
        else:
            door = PAGE
        for prefix in SECRET_PATHS:
            if path.startswith(prefix):
                path = prefix + "…"
        return {"user": context["user"], "door": door, "detail": path[:200]}

    def __call__(self, request: HttpRequest) -> Any:
        response = super().__call__(request)
        if request.method in pghistory_config.middleware_methods():
            forget()
        return response


# --- Celery ---------------------------------------------------------------------------

_open_tasks: dict[str, Any] = {}


def task_started(task_id: str, task: Any, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    kwargs = kwargs or {}
    user = kwargs.get("actor_id", kwargs.get("user_id"))
    block = audit_context(
        door=TASK, detail=getattr(task, "name", str(task)), user=user if user else None
    )
    block.__enter__()
    _open_tasks[task_id] = block


def task_finished(task_id: str, **_: Any) -> None:
    block = _open_tasks.pop(task_id, None)
    if block is not None:
        block.__exit__(None, None, None)  # which forgets the context


def connect_celery() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_started, dispatch_uid="salesflow.audit.task_started", weak=False)
    task_postrun.connect(task_finished, dispatch_uid="salesflow.audit.task_finished", weak=False)


# --- Management commands ------------------------------------------------------------


@contextmanager
def command_context(argv: Sequence[str]) -> Iterator[None]:
    """manage.py's: what a command writes is recorded as done "by the command <name>"."""
    name = argv[1] if len(argv) > 1 else ""
    if not name or name.startswith("-") or name in UNWRAPPED_COMMANDS:
        yield
        return
    with audit_context(door=COMMAND, detail=name, user=None):
        yield
