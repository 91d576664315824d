from __future__ import annotations

from prospects.models import Contact
from prospects.privacy.models import Erasure


def contact_erasure(*, contact: Contact) -> Erasure | None:
    """The record of the contact's erasure, for their placeholder page ("Erased by … on …")."""
    if contact.erased_at is None:
        return None
    return contact.erasures.select_related("erased_by").order_by("-erased_at", "-pk").first()
