"""What pipeline holds about a person, for prospects' data-protection requests
(prospects.privacy): the deals they are on (by an SOE step or a seat on the buying
committee), the SOE steps they proposed or answer for, and
every text of deals, SOEs and follow-ups that names them. Registered in
prospects.privacy.holders.HOLDERS by pipeline's AppConfig.ready().

Rows are scrubbed, never deleted: a deal keeps its value, stage and history, an SOE step its
dates and status, so the dashboard's figures stay what they were. The SOE steps keep their
link to the contact, which the erasure turns into an anonymous placeholder; so do the
buying committee's seats (DealContact), which hold ids and a role and no words, so have
nothing to scrub.

The dashboard's kept figures (the cache) hold counts, amounts and the names of stages,
segments, lead sources and reps, never a deal's or a contact's words, so there is nothing
of the person to drop there.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from pipeline.deals.models import DealContact, Opportunity, StageChange
from pipeline.followups.models import FollowUp, FollowUpEvent
from pipeline.soe.models import Sequence, SoeChange, SoeStep, SoeTemplateStep
from prospects.privacy.holders import Person, values_of

TEXTS: list[tuple[str, type, tuple[str, ...]]] = [
    ("deals", Opportunity, ("name", "next_step", "specialist_override_note")),
    ("stage_changes", StageChange, ("note",)),
    ("soe_receptions", Sequence, ("reception_note",)),
    ("soe_steps", SoeStep, ("text", "notes", "skip_reason")),
    ("soe_history", SoeChange, ("summary",)),
    ("soe_template_steps", SoeTemplateStep, ("text",)),
    (
        "follow_ups",
        FollowUp,
        (
            "draft",
            "purpose",
            "review_comment",
            "surfaced_early_reason",
            "dismissed_reason",
            "holds",
        ),
    ),
    ("follow_up_history", FollowUpEvent, ("note",)),
]


def _their_steps(person: Person) -> Q:
    return (
        Q(proposed_by_id=person.contact_pk)
        | Q(responsible_contact_id=person.contact_pk)
        | person.named_in("text", "notes", "skip_reason")
    )


def export(person: Person) -> dict[str, Any]:
    steps = list(
        SoeStep.objects.filter(_their_steps(person))
        .select_related("sequence")
        .order_by("sequence__opportunity_id", "position", "pk")
    )
    seats = list(DealContact.objects.filter(contact_id=person.contact_pk).order_by("pk"))
    deal_ids = {step.sequence.opportunity_id for step in steps} | {
        seat.opportunity_id for seat in seats
    }
    deals = (
        Opportunity.objects.filter(
            Q(pk__in=deal_ids) | person.named_in("name", "next_step", "specialist_override_note")
        )
        .select_related("stage")
        .order_by("created_at", "pk")
    )
    return {
        "deals": [
            {
                **values_of(
                    deal,
                    (
                        "name",
                        "value",
                        "currency",
                        "expected_close_date",
                        "next_step",
                        "specialist_override_note",
                        "closed_at",
                    ),
                ),
                "stage": deal.stage.name,
            }
            for deal in deals
        ],
        "buying_committees": [
            {**values_of(seat, ("role", "added_at")), "deal_id": seat.opportunity_id}
            for seat in seats
        ],
        "soe_steps": [
            {
                **values_of(
                    step,
                    (
                        "text",
                        "notes",
                        "status",
                        "proposed_on",
                        "target_date",
                        "done_on",
                        "skip_reason",
                    ),
                ),
                "deal_id": step.sequence.opportunity_id,
                "proposed_by_them": step.proposed_by_id == person.contact_pk,
                "their_step": step.responsible_contact_id == person.contact_pk,
            }
            for step in steps
        ],
        "soe_history": [
            values_of(row, ("action", "at", "summary"))
            for row in SoeChange.objects.filter(person.named_in("summary")).order_by("at", "pk")
        ],
        "soe_receptions": [
            {**values_of(row, ("reception", "reception_note")), "deal_id": row.opportunity_id}
            for row in Sequence.objects.filter(person.named_in("reception_note"))
        ],
        "stage_changes": [
            {**values_of(row, ("at", "note")), "deal_id": row.opportunity_id}
            for row in StageChange.objects.filter(person.named_in("note")).order_by("at", "pk")
        ],
        "follow_ups": [
            {
                **values_of(
                    row,
                    (
                        "status",
                        "channel",
                        "purpose",
                        "draft",
                        "review_comment",
                        "surface_at",
                        "surfaced_early_reason",
                        "dismissed_reason",
                    ),
                ),
                "deal_id": row.opportunity_id,
            }
            for row in FollowUp.objects.filter(
                person.named_in(*TEXTS[-2][2])  # the follow-up's texts, as erased
            ).order_by("surface_at", "pk")
        ],
        "follow_up_history": [
            {**values_of(row, ("action", "at", "note")), "follow_up_id": row.follow_up_id}
            for row in FollowUpEvent.objects.filter(person.named_in("note")).order_by("at", "pk")
        ],
    }


def erase(person: Person) -> dict[str, int]:
    return {kind: person.scrub_rows(model.objects.all(), fields) for kind, model, fields in TEXTS}
