"""The audit history as a holder of personal data (salesflow.core.audit): every event table
copies the texts of the rows it tracks, so an export holds those copies and an erasure scrubs
the person there too. A closing
holder (holders.Holders.register): it runs after the others have rewritten their rows and
the contact row became the placeholder, since each of those writes recorded an event
holding the values from before it.
"""

from __future__ import annotations

from typing import Any

from prospects.models import Contact
from prospects.privacy.holders import ERASED, Person
from salesflow.core.audit.selectors import Change, object_history
from salesflow.core.audit.services import audit_erase, audit_text_columns
from salesflow.core.audit.tracking import EVENT_MODELS

# Lines read a page at a time; a contact's own history is short.
PAGE = 200


def export(person: Person) -> dict[str, Any]:
    """The earlier versions of what the other holders export as it stands now: every change
    to the contact (who, when, through which door, each field before and after), and every
    other recorded change whose copied texts name them (an account or deal as it was)."""
    contact = Contact.objects.get(pk=person.contact_pk)
    history: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        changes, cursor = object_history(contact, before=cursor, limit=PAGE)
        history += [_line(change) for change in changes]
        if cursor is None:
            break
    naming: list[dict[str, Any]] = []
    for model, event_model in EVENT_MODELS.items():
        columns = audit_text_columns(event_model)
        if not columns or not person.identifiers:
            continue
        rows = event_model.objects.filter(person.named_in(*columns))
        if model is Contact:
            rows = rows.exclude(pgh_obj_id=contact.pk)  # theirs are in "history" above
        for row in rows.order_by("pgh_created_at", "pgh_id"):
            values = {name: getattr(row, name) for name in columns}
            naming.append(
                {
                    "record": str(model._meta.verbose_name),
                    "record_id": row.pgh_obj_id,
                    "recorded_at": row.pgh_created_at,
                    # The row as it was before a change, or as created or deleted.
                    "event": row.pgh_label,
                    **{name: value for name, value in values.items() if person.mentioned(value)},
                }
            )
    return {"history": history, "history_naming_them": naming}


def _line(change: Change) -> dict[str, Any]:
    return {
        "at": change.at,
        "action": change.action,
        "by": change.actor_name,
        "through": change.door_label,
        "fields": [
            {"field": field.label, "before": field.old, "after": field.new}
            for field in change.fields
        ],
    }


def erase(person: Person) -> dict[str, int]:
    changed = audit_erase(
        scrub_rows=person.scrub_rows,
        own_rows={
            Contact: (
                person.contact_pk,
                {"name": ERASED, "title": ERASED, "email": ERASED, "phone": ERASED},
            )
        },
    )
    return {"audit_history": changed}
