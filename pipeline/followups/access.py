"""Who may see, change and approve which follow-up, in one place: every view and service of
follow-ups asks here.

A follow-up is seen by whoever sees its account and changed by whoever may edit it
(prospects.access); anything else answers 404, and a change the user may not make 403. The
draft's second look belongs to the manager of the owner's team, or an admin.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from pipeline.followups.models import FollowUp
from pipeline.followups.selectors import with_due
from prospects.access import accounts_visible_to, can_edit_account
from salesflow.core.models import User


def followups_visible_to(user: User) -> QuerySet[FollowUp]:
    """The follow-ups on the accounts the user may see."""
    return FollowUp.objects.filter(account__in=accounts_visible_to(user))


def can_edit_followup(user: User, follow_up: FollowUp) -> bool:
    return can_edit_account(user, follow_up.account)


def can_move_followup(user: User, follow_up: FollowUp) -> bool:
    """Whoever may edit it moves it on (done, dismissed, surfaced now), and so does its
    owner."""
    return can_edit_followup(user, follow_up) or user == follow_up.owner


def may_approve_followup(*, user: User, follow_up: FollowUp) -> bool:
    """The manager of the owner's team (or an admin)."""
    return user.is_admin or user.is_manager_of(follow_up.owner.team_id)


def get_followup_for_user(user: User, pk: object, *, for_edit: bool = False) -> FollowUp:
    """A follow-up on an account the user may see (404 otherwise), with `is_due` and
    `awaiting_approval` (with_due); 403 if editing is asked and refused."""
    try:
        follow_up = (
            with_due(followups_visible_to(user))
            .select_related("account", "opportunity", "owner")
            .get(pk=int(pk))  # type: ignore[call-overload]
        )
    except (FollowUp.DoesNotExist, TypeError, ValueError):
        raise Http404("No such follow-up.") from None
    if for_edit and not can_edit_followup(user, follow_up):
        raise PermissionDenied("This follow-up is read-only for you.")
    return follow_up


def get_followup_to_approve(user: User, pk: object) -> FollowUp:
    """A follow-up the user may see (404 otherwise) and approve (403 otherwise)."""
    follow_up = get_followup_for_user(user, pk)
    if not may_approve_followup(user=user, follow_up=follow_up):
        raise PermissionDenied("Only the team's manager reviews its follow-ups.")
    return follow_up
