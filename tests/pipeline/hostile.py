"""The pipeline's hostile-input helpers: what each part has saved, compared before and after
a request, and the address of a move beside `done/`."""

from __future__ import annotations

from pipeline.deals.models import Opportunity, StageChange


def state():
    return (
        Opportunity.objects.count(),
        StageChange.objects.count(),
        list(
            Opportunity.objects.order_by("pk").values_list("stage_id", "value", "name", "closed_at")
        ),
    )


def soe_state():
    from pipeline.soe.models import Sequence as SoeSequence
    from pipeline.soe.models import SoeChange, SoeStep

    return (
        SoeSequence.objects.count(),
        list(
            SoeStep.objects.order_by("pk").values_list("position", "text", "status", "target_date")
        ),
        SoeChange.objects.count(),
    )


def followup_state():
    from pipeline.followups.models import FollowUp, FollowUpEvent

    return (
        list(FollowUp.objects.order_by("pk").values_list("status", "purpose", "draft", "review")),
        FollowUpEvent.objects.count(),
    )


def action_url(done_url: str, action: str) -> str:
    """The address of one move beside `done/` — also of a move that does not exist."""
    return done_url.removesuffix("done/") + f"{action}/"
