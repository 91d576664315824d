"""Reading the audit history back as lines a person reads: who changed which field of what,
from what to what, when, and through which door.

Each event row holds the tracked fields as they were *before* the change (tracking.py); the
values after it are the next event's row of the same object, or the live row for the newest
event. Both readers fetch those in bulk: a page of an object's history, or a chunk of a
period, costs the same few queries however long the history is (the events, the rows after
them, the live rows, one query per kind of foreign key shown, the actors).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Field, Model, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import capfirst

from salesflow.core.audit import context
from salesflow.core.audit.tracking import CHANGED, CREATED, DELETED, EVENT_MODELS
from salesflow.core.models import User

EMPTY = "—"
# The name of whoever made a change when no user did (a job, a command, the database).
NOBODY = "salesflow"
# Rows read per query when a period is streamed (the audit CSV may have 100,000 lines).
CHUNK = 1000

# The audited models by label ("prospects.account"), for the audit page's filter.
AUDITED: dict[str, type[Model]] = {
    model._meta.label_lower: model
    for model in sorted(EVENT_MODELS, key=lambda model: model._meta.label_lower)
}

# The doors a change comes through, with their labels, for a filter's choices.
DOORS: dict[str, str] = {
    context.PAGE: "A page",
    context.API: "The API",
    context.ADMIN: "The admin",
    context.TASK: "A background job",
    context.COMMAND: "A command",
    context.IMPORT: "A CSV import",
    context.SYSTEM: "Directly in the database",
}

# The page a path's first part names ("/deals/12/edit/" is the deal page).
PAGES = {
    "accounts": "account",
    "contacts": "contact",
    "deals": "deal",
    "followups": "follow-up",
    "follow-ups": "follow-up",
    "soe": "Sequence of Events",
    "configure": "configuration",
    "log": "quick log",
    "reviews": "review",
    "account": "your account",
}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    key: str
    at: datetime
    actor: User | None
    actor_name: str
    door: str
    door_detail: str
    door_label: str
    action: str
    model: str
    model_label: str
    object_id: int
    object_label: str
    fields: tuple[FieldChange, ...]
    # What the change was part of, when a service said so ("merge of #7 into #3").
    reason: str = ""


# --- Public readers ---------------------------------------------------------------------


def object_history(
    obj: Model, *, before: str | None = None, limit: int = 50
) -> tuple[list[Change], str | None]:
    """The object's changes, newest first, `limit` at a time; `before` is the cursor the
    previous page returned. Returns the page and the next page's cursor (None: no more)."""
    model = type(obj)._meta.concrete_model
    event_model = EVENT_MODELS[model]
    events = event_model.objects.filter(pgh_obj_id=obj.pk).order_by("-pgh_id")
    cursor = _parse_cursor(before)
    after_first: dict[str, Any] | None = None
    if cursor is not None:
        # The cursor's own event is read too: its row is the state after the page's first.
        rows = list(events.filter(pgh_id__lte=cursor)[: limit + 2])
        if rows and rows[0].pgh_id == cursor:
            after_first = _state(model, rows.pop(0))
    else:
        rows = list(events[: limit + 1])
    page, more = rows[:limit], len(rows) > limit
    if not page:
        return [], None
    if cursor is None:
        after_first = _live_states(model, [obj.pk]).get(obj.pk)
    afters = [after_first, *(_state(model, row) for row in page[:-1])]
    changes = _changes(model, list(zip(page, afters, strict=True)), labels={obj.pk: str(obj)})
    return changes, (str(page[-1].pgh_id) if more else None)


def changes_in_period(
    *,
    since: datetime,
    until: datetime,
    user_id: int | None = None,
    model: str | None = None,
    door: str | None = None,
) -> Iterator[Change]:
    """Every change from `since` up to (not including) `until`, newest first, optionally by
    one user, of one model ("pipeline.opportunity") and through one door; read CHUNK rows
    at a time per model, so a long period streams."""
    models = [AUDITED[model]] if model else list(AUDITED.values())
    streams = [
        _period_stream(m, since=since, until=until, user_id=user_id, door=door) for m in models
    ]
    yield from heapq.merge(*streams, key=lambda change: change.at, reverse=True)


# --- Reading events -----------------------------------------------------------------------


def _parse_cursor(before: str | None) -> int | None:
    if not before:
        return None
    try:
        value = int(before)
    except ValueError:
        return None
    return value if value > 0 else None


def tracked_fields(model: type[Model]) -> list[Field]:
    """The tracked model's fields its event table copies, in the model's order."""
    copied = {field.name for field in EVENT_MODELS[model]._meta.fields}
    return [field for field in model._meta.concrete_fields if field.name in copied]


def _state(model: type[Model], event: Model) -> dict[str, Any]:
    return {field.attname: getattr(event, field.attname) for field in tracked_fields(model)}


def _live_states(model: type[Model], pks: Iterable[int]) -> dict[int, dict[str, Any]]:
    pks = list(pks)
    if not pks:
        return {}
    names = [field.attname for field in tracked_fields(model)]
    rows = model._base_manager.filter(pk__in=pks).values("pk", *names)
    return {row.pop("pk"): row for row in rows}


def _period_stream(
    model: type[Model],
    *,
    since: datetime,
    until: datetime,
    user_id: int | None,
    door: str | None,
) -> Iterator[Change]:
    event_model = EVENT_MODELS[model]
    events = event_model.objects.filter(pgh_created_at__gte=since, pgh_created_at__lt=until)
    if user_id is not None:
        events = events.filter(pgh_context__user=user_id)
    if door == context.SYSTEM:
        events = events.filter(Q(pgh_context__isnull=True) | ~Q(pgh_context__has_key="door"))
    elif door:
        events = events.filter(pgh_context__door=door)
    # The event after each one of the same object (any time, any door) holds its new values.
    successor = (
        event_model.objects.filter(pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__gt=OuterRef("pgh_id"))
        .order_by("pgh_id")
        .values("pgh_id")[:1]
    )
    events = events.annotate(next_id=Subquery(successor)).order_by("-pgh_created_at", "-pgh_id")
    last: tuple[datetime, int] | None = None
    while True:
        chunk = events
        if last is not None:
            at, pk = last
            chunk = chunk.filter(Q(pgh_created_at__lt=at) | Q(pgh_created_at=at, pgh_id__lt=pk))
        rows = list(chunk[:CHUNK])
        if not rows:
            return
        following = {
            row.pgh_id: _state(model, row)
            for row in event_model.objects.filter(
                pgh_id__in=[row.next_id for row in rows if row.next_id]
            )
        }
        live = _live_states(model, {row.pgh_obj_id for row in rows if not row.next_id})
        pairs = [
            (row, following.get(row.next_id) if row.next_id else live.get(row.pgh_obj_id))
            for row in rows
        ]
        labels = _object_labels(model, rows, live)
        yield from _changes(model, pairs, labels=labels)
        if len(rows) < CHUNK:
            return
        last = (rows[-1].pgh_created_at, rows[-1].pgh_id)


def _object_labels(
    model: type[Model], rows: Sequence[Model], live: dict[int, dict[str, Any]]
) -> dict[int, str]:
    """What each object is called: its name today, or the name it had when last recorded."""
    labels = _names(model, {row.pgh_obj_id for row in rows})
    for row in rows:
        if row.pgh_obj_id not in labels:
            name = getattr(row, "name", None) or getattr(row, "text", None)
            label = f"{capfirst(model._meta.verbose_name)} #{row.pgh_obj_id}"
            labels[row.pgh_obj_id] = str(name)[:80] if name else label
    return labels


# --- Turning events into lines ------------------------------------------------------------


def _changes(
    model: type[Model],
    pairs: Sequence[tuple[Model, dict[str, Any] | None]],
    *,
    labels: dict[int, str],
) -> list[Change]:
    fields = tracked_fields(model)
    diffs: list[tuple[Model, list[tuple[Field, Any, Any]]]] = []
    for event, after in pairs:
        before = _state(model, event)
        if event.pgh_label == CREATED:
            old, new = {}, before
        elif event.pgh_label == DELETED:
            old, new = before, {}
        else:
            old, new = before, after or {}
        changed = [
            (field, old.get(field.attname), new.get(field.attname))
            for field in fields
            if old.get(field.attname) != new.get(field.attname)
            and not (_blank(old.get(field.attname)) and _blank(new.get(field.attname)))
        ]
        diffs.append((event, changed))
    names = _related_names(
        (field, value) for _, changed in diffs for field, *values in changed for value in values
    )
    actors = _actors(event for event, _ in diffs)
    model_label = capfirst(model._meta.verbose_name)
    return [
        _change(
            model,
            event,
            changed,
            model_label=model_label,
            object_label=labels.get(event.pgh_obj_id, f"{model_label} #{event.pgh_obj_id}"),
            names=names,
            actors=actors,
        )
        for event, changed in diffs
    ]


def _change(
    model: type[Model],
    event: Model,
    changed: list[tuple[Field, Any, Any]],
    *,
    model_label: str,
    object_label: str,
    names: dict[tuple[type[Model], Any], str],
    actors: dict[int, User],
) -> Change:
    meta = event.pgh_context or {}
    door = meta.get("door") or context.SYSTEM
    detail = str(meta.get("detail") or "")
    user_id = meta.get("user")
    actor = actors.get(user_id) if isinstance(user_id, int) else None
    reason = str(meta.get("reason") or "")
    door_label = _door_label(door, detail)
    if reason:
        door_label += f" ({reason})"
    action = event.pgh_label if event.pgh_label in (CREATED, DELETED) else CHANGED
    return Change(
        key=f"{model._meta.label_lower}:{event.pgh_id}",
        at=event.pgh_created_at,
        actor=actor,
        actor_name=actor.display_name if actor else NOBODY,
        door=door,
        door_detail=detail,
        door_label=door_label,
        action=action,
        model=model._meta.label_lower,
        model_label=model_label,
        object_id=event.pgh_obj_id,
        object_label=object_label,
        fields=tuple(
            FieldChange(
                name=field.name,
                label=capfirst(field.verbose_name),
                old=_display(field, old, names),
                new=_display(field, new, names),
            )
            for field, old, new in changed
        ),
        reason=reason,
    )


def _door_label(door: str, detail: str) -> str:
    if door == context.PAGE:
        first = detail.strip("/").split("/", 1)[0]
        page = PAGES.get(first)
        return f"from the {page} page" if page else f"from the page {detail}".rstrip()
    if door == context.API:
        return f"through the API, token “{detail}”" if detail else "through the API"
    if door == context.ADMIN:
        return "in the admin"
    if door == context.TASK:
        job = detail.rsplit(".", 1)[-1].replace("_", " ")
        return f"by the background job “{job}”"
    if door == context.COMMAND:
        return f"by the command “{detail}”"
    if door == context.IMPORT:
        return f"by import #{detail}"
    return "directly in the database"


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _display(field: Field, value: Any, names: dict[tuple[type[Model], Any], str]) -> str:
    """A value as a person reads it: choice labels, names for foreign keys, plain dates and
    amounts, "—" for nothing."""
    if _blank(value):
        return EMPTY
    if field.is_relation and field.related_model is not None:
        return names.get((field.related_model, value), f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%-d %b %Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    return str(value)


def _related_names(pairs: Iterable[tuple[Field, Any]]) -> dict[tuple[type[Model], Any], str]:
    """The names of every object the lines point at: one query per related model."""
    wanted: dict[type[Model], set[Any]] = defaultdict(set)
    for field, value in pairs:
        if field.is_relation and field.related_model is not None and not _blank(value):
            wanted[field.related_model].add(value)
    return {
        (related, pk): name
        for related, pks in wanted.items()
        for pk, name in _names(related, pks).items()
    }


def _names(model: type[Model], pks: Iterable[Any]) -> dict[Any, str]:
    """Each object's name today; a deleted one's as its audit history last recorded it
    (one more query, only when some are gone), else "#id" is shown."""
    pks = list(pks)
    names = _live_names(model, pks)
    missing = [pk for pk in pks if pk not in names]
    event_model = EVENT_MODELS.get(model)
    if missing and event_model is not None:
        field_names = {field.name for field in event_model._meta.concrete_fields}
        name_field = next((name for name in ("name", "username") if name in field_names), None)
        if name_field:
            last = (
                event_model.objects.filter(pgh_obj_id__in=missing)
                .order_by("pgh_obj_id", "-pgh_id")
                .distinct("pgh_obj_id")
                .values_list("pgh_obj_id", name_field)
            )
            names.update({pk: f"{name} (deleted)" for pk, name in last if name})
    return names


def _live_names(model: type[Model], pks: list[Any]) -> dict[Any, str]:
    if not pks:
        return {}
    if issubclass(model, User):
        users = model._base_manager.filter(pk__in=pks).only("first_name", "last_name", "username")
        return {user.pk: user.display_name for user in users}
    field_names = {field.name for field in model._meta.concrete_fields}
    if "name" in field_names:
        return dict(model._base_manager.filter(pk__in=pks).values_list("pk", "name"))
    # Their own __str__, with what it reads of their foreign keys joined in the same query.
    direct = [field.name for field in model._meta.concrete_fields if field.many_to_one]
    rows = model._base_manager.filter(pk__in=pks).select_related(*direct)
    return {row.pk: str(row) for row in rows}


def _actors(events: Iterable[Model]) -> dict[int, User]:
    ids = set()
    for event in events:
        user = (event.pgh_context or {}).get("user")
        if isinstance(user, int):
            ids.add(user)
    if not ids:
        return {}
    return {user.pk: user for user in User._base_manager.filter(pk__in=ids)}
