"""What search finds of the pipeline: deals, SOE steps and follow-up purposes. Registered in
prospects' search (prospects.search.kinds.KINDS) by PipelineConfig.ready(); each kind reads
through the access rule of its part, so search never shows what its page would refuse."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from pipeline.deals.access import opportunities_visible_to
from pipeline.deals.models import DEAL_SEARCH_FIELDS, Opportunity
from pipeline.followups.access import followups_visible_to
from pipeline.followups.models import FOLLOWUP_SEARCH_FIELDS, FollowUp
from pipeline.soe.models import STEP_SEARCH_FIELDS, SoeStep
from prospects.search.kinds import KINDS, Kind, Shown
from salesflow.core.models import User


def _deals(user: User) -> QuerySet[Opportunity]:
    return opportunities_visible_to(user).select_related("account", "stage")


def _show_deal(deal: Opportunity) -> Shown:
    return Shown(
        title=deal.name,
        url=reverse("pipeline:opportunity_detail", args=[deal.pk]),
        text=deal.next_step,
        detail=f"{deal.account.name} · {deal.stage.name}",
    )


def _steps(user: User) -> QuerySet[SoeStep]:
    # An SOE and its steps are seen by whoever sees their deal (pipeline.soe.access).
    return SoeStep.objects.filter(
        sequence__opportunity__in=opportunities_visible_to(user)
    ).select_related("sequence__opportunity")


def _show_step(step: SoeStep) -> Shown:
    deal = step.sequence.opportunity
    return Shown(
        title=step.text,
        url=reverse("pipeline:soe", args=[deal.pk]),
        text=step.notes,
        detail=f"{deal.name} · {step.get_status_display()}",
    )


def _followups(user: User) -> QuerySet[FollowUp]:
    return followups_visible_to(user).select_related("account")


def _show_followup(follow_up: FollowUp) -> Shown:
    return Shown(
        title=follow_up.purpose,
        url=reverse("pipeline:followup_detail", args=[follow_up.pk]),
        detail=f"{follow_up.account.name} · {follow_up.get_status_display()}",
    )


def register() -> None:
    KINDS.register(
        Kind(
            key="deals",
            label="Deals",
            noun="deals",
            position=30,
            visible=_deals,
            fields=DEAL_SEARCH_FIELDS,
            show=_show_deal,
            name="name",
        )
    )
    KINDS.register(
        Kind(
            key="steps",
            label="SOE steps",
            noun="SOE steps",
            position=60,
            visible=_steps,
            fields=STEP_SEARCH_FIELDS,
            show=_show_step,
        )
    )
    KINDS.register(
        Kind(
            key="followups",
            label="Follow-ups",
            noun="follow-ups",
            position=70,
            visible=_followups,
            fields=FOLLOWUP_SEARCH_FIELDS,
            show=_show_followup,
        )
    )
