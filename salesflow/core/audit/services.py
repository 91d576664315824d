"""Writes to the audit history: the retention prune, and the erasure of a person's data
from the event tables (called by prospects' data-protection erase, through its holders)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from salesflow.core.audit.tracking import EVENT_MODELS


def audit_prune(*, older_than: datetime) -> int:
    """Delete every audit event recorded before `older_than`; returns how many. One
    statement per table, each in its own transaction, so a large prune holds no lock long."""
    deleted = 0
    for event_model in EVENT_MODELS.values():
        with transaction.atomic():
            count, _ = event_model.objects.filter(pgh_created_at__lt=older_than).delete()
        deleted += count
    return deleted


def audit_prune_expired() -> int:
    """The monthly job's work: prune what is older than SALESFLOW_AUDIT_KEEP_DAYS, or
    nothing when the setting is unset (the default: keep forever)."""
    days = settings.SALESFLOW_AUDIT_KEEP_DAYS
    if not days:
        return 0
    return audit_prune(older_than=timezone.now() - timedelta(days=days))


def audit_text_columns(event_model: type[models.Model]) -> list[str]:
    """An event table's copies of texts (and JSON) that may quote a person."""
    return [
        field.name
        for field in event_model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
        and not field.name.startswith("pgh_")
        and not field.choices
    ]


def audit_erase(
    *,
    scrub_rows: Callable[[models.QuerySet[Any], list[str]], int],
    own_rows: dict[type[models.Model], tuple[int, dict[str, str]]],
) -> int:
    """Erase a person from the audit history; returns the rows changed.

    `scrub_rows(rows, fields)` replaces the person's identifiers in those fields of the rows
    that name them (prospects.privacy's Person.scrub_rows); `own_rows` maps a tracked model
    to (the person's own row's pk, {field: value}): every event of that row gets these
    values wherever it held one, whatever it was (a title or a phone is theirs without naming them).
    """
    changed = 0
    for model, event_model in EVENT_MODELS.items():
        if model in own_rows:
            pk, values = own_rows[model]
            # Only what was there is replaced: an empty title stays empty.
            changed += event_model.objects.filter(pgh_obj_id=pk).update(
                **{
                    name: Case(When(**{name: ""}, then=Value("")), default=Value(value))
                    for name, value in values.items()
                }
            )
        columns = audit_text_columns(event_model)
        if columns:
            changed += scrub_rows(event_model.objects.all(), columns)
    return changed
