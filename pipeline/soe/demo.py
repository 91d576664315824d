"""Demo Sequences of Events: step kinds, a template per segment, and SOEs for most open demo
deals, some late, with the prospect's reception."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from pipeline.deals.models import Opportunity, Pipeline
from pipeline.soe import services as soe_services
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeChange, SoeStep, SoeTemplate, SoeTemplateStep, StepKind
from prospects.models import (
    Segment,
)

STEP_KINDS = ["Site visit", "Pilot", "Security review", "Business case", "Board approval"]
# Which kinds of step usually complete which stage of the default pipeline.
COMPLETES = {
    "Qualified": ["Site visit"],
    "Solution development": ["Pilot"],
    "Evaluation": ["Security review", "Business case"],
    "Decision": ["Board approval"],
}
TEMPLATES = {
    # segment: [(step, kind, whose, days after start)]
    "Hospitals": [
        ("Walk the ward with the matron", "Site visit", "both", 7),
        ("Clinical safety sign-off", "", "prospect", 21),
        ("IT security review", "Security review", "prospect", 35),
        ("Pilot on two wards", "Pilot", "both", 60),
        ("Trust board approval", "Board approval", "prospect", 90),
    ],
    "Schools": [
        ("Demo for the senior leadership team", "", "us", 7),
        ("Trial with one year group", "Pilot", "both", 30),
        ("Governors' meeting", "Board approval", "prospect", 60),
    ],
    "Manufacturers": [
        ("Plant walk with the operations lead", "Site visit", "both", 7),
        ("Business case for finance", "Business case", "both", 28),
        ("Pilot on one line", "Pilot", "both", 45),
        ("Capital approval", "Board approval", "prospect", 75),
    ],
}
# account: (reception, note, [(step index done, days before today)], days the SOE is late)
SOES = {
    "St Brigid's Hospital": ("keen", "Helen forwarded it to the IT lead herself.", [0], 0),
    "Riverside Academy Trust": ("lukewarm", "Said it looked 'a bit formal'.", [0], 10),
    "Kestrel Components": ("keen", "", [0, 1, 2], 0),
    "Brightwater Foods": ("not_shared", "", [], 5),
    "Meridian Plastics": ("declined", "They do not want to commit to dates.", [0], 25),
    "Westmoor Hospital": ("lukewarm", "", [], 20),
    "Copperleaf Bakery": ("keen", "", [], 0),
    "Harbourview Clinic": ("not_shared", "", [], 15),
}


def seed_soe_templates() -> dict[str, SoeTemplate]:
    """The kinds of SOE step, the stages they complete, and a template per segment."""
    kinds = {name: StepKind.objects.get_or_create(name=name)[0] for name in STEP_KINDS}
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is not None:
        for stage in pipeline.stages.filter(name__in=COMPLETES):
            stage.completing_kinds.add(*(kinds[name] for name in COMPLETES[stage.name]))
    templates = {}
    for segment_name, steps in TEMPLATES.items():
        segment = Segment.objects.filter(name=segment_name).first()
        template, created = SoeTemplate.objects.get_or_create(
            name=f"{segment_name}: how they usually buy", defaults={"segment": segment}
        )
        if created:
            SoeTemplateStep.objects.bulk_create(
                SoeTemplateStep(
                    template=template,
                    position=position,
                    text=text,
                    kind=kinds.get(kind),
                    owner_side=side,
                    days_after_start=days,
                )
                for position, (text, kind, side, days) in enumerate(steps)
            )
        templates[segment_name] = template
    return templates


def seed_sequences(*, now: datetime | None = None) -> int:
    """SOEs for most open demo deals, from their segment's template; returns how many."""
    now = now or timezone.now()
    templates = seed_soe_templates()
    added = 0
    for account_name, (reception, note, done, late) in SOES.items():
        deal = (
            Opportunity.objects.filter(account__name=account_name, closed_at__isnull=True)
            .select_related("account__segment", "owner")
            .first()
        )
        if deal is None or SoeSequence.objects.filter(opportunity=deal).exists():
            continue
        segment = deal.account.segment.name if deal.account.segment else None
        sequence = soe_services.soe_start(
            actor=deal.owner, opportunity=deal, template=templates.get(segment)
        )
        steps = list(sequence.steps.order_by("position"))
        # Shift the plan back so some steps are done and, where the deal is late, some
        # open ones have slipped past their dates.
        for step in steps:
            if step.target_date:
                step.target_date -= timedelta(days=late + 10)
                step.first_target_date = step.target_date
        SoeStep.objects.bulk_update(steps, ["target_date", "first_target_date"])
        for index in done:
            if index < len(steps):
                soe_services.soe_step_done(
                    actor=deal.owner,
                    step=steps[index],
                    done_on=(now - timedelta(days=late + 5 - index)).date(),
                )
        if reception != "not_shared":
            soe_services.soe_set_reception(
                actor=deal.owner, sequence=sequence, reception=reception, note=note
            )
        # The SOE's history happened when the deal last moved, so quiet deals stay stuck.
        last_move = deal.stage_changes.order_by("-at").values_list("at", flat=True).first()
        SoeChange.objects.filter(sequence=sequence).update(at=last_move or now)
        added += 1
    return added
