"""Who may see and change which Sequence of Events, in one place: an SOE and its steps are
seen and edited by whoever may see and edit their deal (pipeline.deals.access). Outside the
user's reach a deal, its SOE or a step answers 404; a change to one they may only read 403.
"""

from __future__ import annotations

from django.http import Http404

from pipeline.deals.access import can_edit_opportunity, get_opportunity_for_user
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeStep
from pipeline.soe.selectors import soe_of
from salesflow.core.models import User


def can_edit_soe(user: User, sequence: SoeSequence) -> bool:
    return can_edit_opportunity(user, sequence.opportunity)


def get_soe_for_user(user: User, pk: object, *, for_edit: bool = False) -> SoeSequence:
    """The SOE of deal `pk`, with its deal as get_opportunity_for_user loads it: 404 if the
    user may not see the deal or it has no SOE yet, 403 if editing is asked and refused."""
    opportunity = get_opportunity_for_user(user, pk, for_edit=for_edit)
    sequence = soe_of(opportunity=opportunity)
    if sequence is None:
        raise Http404("This deal has no Sequence of Events yet.")
    sequence.opportunity = opportunity
    return sequence


def get_step_for_user(user: User, pk: int, *, for_edit: bool = True) -> SoeStep:
    """A step, if the user may edit its deal (404 outside their reach, 403 read-only); with
    for_edit=False, if they may see it (the API's read of one step)."""
    deal_id = (
        SoeStep.objects.filter(pk=pk).values_list("sequence__opportunity_id", flat=True).first()
    )
    if deal_id is None:
        raise Http404("No such step.")
    opportunity = get_opportunity_for_user(user, deal_id, for_edit=for_edit)
    step = SoeStep.objects.select_related("sequence").get(pk=pk)
    step.sequence.opportunity = opportunity
    return step
