"""Who may see and change which deal, in one place: every view, service, form and selector
of pipeline asks here.

Deals follow the accounts' rule (salesflow.core.access): a rep sees their team's deals and
edits their own, a manager edits the team's, sales ops and admins everything. Anything
outside that answers 404, so ids of other teams' deals reveal nothing; a page that would
change a deal the user may only read answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from pipeline.deals.models import Opportunity
from salesflow.core.access import can_edit_owned, owned_visible_to
from salesflow.core.models import User


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    return owned_visible_to(Opportunity.objects.all(), user)


def can_edit_opportunity(user: User, opportunity: Opportunity) -> bool:
    return can_edit_owned(user, opportunity.owner)


def get_opportunity_for_user(user: User, pk: object, *, for_edit: bool = False) -> Opportunity:
    """The deal if the user may see it (404 otherwise); 403 if editing is asked and refused."""
    try:
        opportunity = (
            opportunities_visible_to(user)
            .select_related(
                "account",
                "account__owner",
                "account__segment",
                "owner",
                "pipeline",
                "stage",
                "lead_source",
                "close_reason",
                "specialist_requested_by",
                "specialist_override_by",
            )
            .get(pk=int(pk))  # type: ignore[call-overload]
        )
    except (Opportunity.DoesNotExist, TypeError, ValueError):
        raise Http404("No such deal.") from None
    if for_edit and not can_edit_opportunity(user, opportunity):
        raise PermissionDenied("This deal is read-only for you.")
    return opportunity


def may_vouch(*, user: User, opportunity: Opportunity) -> bool:
    """Managers (and admins) vouch for their team's deals being ready for a specialist."""
    return (user.is_manager or user.is_admin) and can_edit_opportunity(user, opportunity)
