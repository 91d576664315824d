"""Who may answer a data-protection request: sales ops and admins (they own the process and
see every account). Anyone else gets 404 for a contact outside their reach, like every page
of prospects, and 403 for a contact they may see."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from prospects.access import get_contact_for_user
from prospects.models import Contact
from salesflow.core.models import User


def can_handle_requests(user: User) -> bool:
    return user.is_authenticated and user.sees_everything


def get_contact_for_request(user: User, pk: object) -> Contact:
    """The contact if the user may export or erase it: 404 outside reach, 403 refused."""
    contact = get_contact_for_user(user, pk)
    if not can_handle_requests(user):
        raise PermissionDenied("Only sales ops and admins handle data-protection requests.")
    return contact
