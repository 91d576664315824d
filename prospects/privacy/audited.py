"""The audit history as a holder of personal data (salesflow.core.audit): every event table
copies the texts of the rows it tracks, so an erasure scrubs the person there too. A closing
holder (holders.Holders.register): it runs after the others have rewritten their rows and
the contact row became the placeholder, since each of those writes recorded an event
holding the values from before it.
"""

from __future__ import annotations

from typing import Any

from prospects.models import Contact
from prospects.privacy.holders import ERASED, Person
from salesflow.core.audit.services import audit_erase


def export(person: Person) -> dict[str, Any]:
    # The history holds earlier versions of rows the other holders export as they are now.
    return {}


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
