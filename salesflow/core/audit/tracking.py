"""How a model is put under audit: one decorator, the same three triggers for every model.

The update trigger stores the row as it was *before* the change (pghistory.Old), and only
when a tracked field really changed: the value after the change is the next event's old row,
or the live row for the newest event (selectors.py pairs them). So the first edit of a row
that existed before tracking was installed is exact too, with no snapshot of old rows in a
migration (docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import pghistory
from django.db import models

M = TypeVar("M", bound=type[models.Model])

# Tracked model -> its event model, filled as the models are declared; read by selectors.py.
EVENT_MODELS: dict[type[models.Model], type[models.Model]] = {}

CREATED = "created"
CHANGED = "changed"
DELETED = "deleted"


def audited(event_name: str, *, fields: Sequence[str]) -> Callable[[M], M]:
    """Track `fields` of the decorated model into a model named `event_name` (e.g.
    "AccountAudit": the app's existing "…Event" models are product features, not this)."""

    def decorate(model: M) -> M:
        table = f"{model._meta.app_label}_{event_name.lower()}"
        pghistory.track(
            pghistory.InsertEvent(CREATED),
            # Default condition: AnyChange over the tracked fields only, so a save that
            # touches nothing but updated_at (or untracked columns) writes no event.
            pghistory.UpdateEvent(CHANGED, row=pghistory.Old),
            pghistory.DeleteEvent(DELETED),
            fields=list(fields),
            model_name=event_name,
            # No related name: the apps already have "events" (AccountEvent, FollowUpEvent).
            obj_field=pghistory.ObjForeignKey(related_name="+", related_query_name="+"),
            meta={
                "indexes": [
                    # An object's history, newest first (events of one row are ordered by
                    # pgh_id: row locks serialise its writers, the sequence follows them).
                    models.Index(fields=["pgh_obj", "-pgh_id"], name=f"{table[:22]}_obj"),
                    # Every change in a period (the audit page, the CSV, the prune).
                    models.Index(fields=["pgh_created_at"], name=f"{table[:22]}_at"),
                ],
            },
        )(model)
        # The app registry is still loading: read its table of models, not get_model().
        EVENT_MODELS[model] = model._meta.apps.all_models[model._meta.app_label][event_name.lower()]
        return model

    return decorate


def is_audit_model(model: type[models.Model]) -> bool:
    """Whether `model` is an audit event table (code that walks every relation skips them)."""
    return model in EVENT_MODELS.values()
