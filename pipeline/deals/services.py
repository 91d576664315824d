"""Writes for deals. Every stage move, from any entry point, goes through opportunity_move_stage."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from pipeline.deals import access as deal_access
from pipeline.deals import flow
from pipeline.deals import selectors as deal_selectors
from pipeline.deals.models import (
    CloseReason,
    DealContact,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
)
from prospects import access as prospect_access
from prospects import services as prospect_services
from prospects.models import (
    READINESS_QUESTIONS,
    Account,
    Contact,
    LeadSource,
)
from salesflow.core.models import Notification, User
from salesflow.core.services import model_update
from salesflow.core.webhooks.events import webhook_event

# The fields of a deal a person edits; the stage only moves through opportunity_move_stage.
OPPORTUNITY_FIELDS = (
    "name",
    "owner",
    "value",
    "currency",
    "expected_close_date",
    "lead_source",
    "next_step",
)


class MoveRefused(ValidationError):
    """A stage move that was not made; the message says why, and nothing changed."""


def _readiness(account: Account) -> dict[str, str]:
    return {field: getattr(account, field) for field, _ in READINESS_QUESTIONS}


@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    account: Account,
    name: str,
    owner: User,
    value: Decimal = Decimal(0),
    currency: str = "EUR",
    expected_close_date: date | None = None,
    lead_source: LeadSource | None = None,
    next_step: str = "",
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
) -> Opportunity:
    """Open a deal on an account, in its first open stage unless one is given."""
    if not prospect_access.can_edit_account(actor, account):
        raise ValidationError("You can open deals only on accounts you may edit.")
    prospect_access.check_assignable_owner(actor=actor, owner=owner, what="deals")
    pipeline = pipeline or deal_selectors.default_pipeline_for(account)
    if pipeline is None:
        raise ValidationError("No pipeline is set up yet; ask sales ops to create one.")
    if stage is None:
        stages = deal_selectors.open_stages(pipeline=pipeline)
        if not stages:
            raise ValidationError(f"The pipeline {pipeline} has no open stage.")
        stage = stages[0]
    if stage.pipeline_id != pipeline.pk or stage.is_closed:
        raise ValidationError({"stage": "Pick an open stage of the deal's pipeline."})
    opportunity = Opportunity(
        account=account,
        name=name,
        owner=owner,
        pipeline=pipeline,
        stage=stage,
        value=value,
        currency=currency,
        expected_close_date=expected_close_date,
        # Where the deal came from is, unless the rep knows better, where the account did.
        lead_source=lead_source or account.lead_source,
        next_step=next_step,
    )
    opportunity.full_clean()
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage=None,
        to_stage=stage,
        at=opportunity.created_at,
        by=actor,
        note="Deal opened",
        **_readiness(account),
    )
    flow.refresh(Opportunity, StageChange, ids=[opportunity.pk])
    webhook_event("deal.created", opportunity, actor=actor)
    return opportunity


@transaction.atomic
def opportunity_update(*, actor: User, opportunity: Opportunity, **changes: object) -> Opportunity:
    def check(locked: Opportunity, data: dict[str, object]) -> None:
        if not deal_access.can_edit_opportunity(actor, locked):
            raise ValidationError("This deal is read-only for you.")
        if "owner" in data and data["owner"] != locked.owner:
            prospect_access.check_assignable_owner(actor=actor, owner=data["owner"], what="deals")  # type: ignore[arg-type]

    updated, changed = model_update(
        instance=opportunity,
        fields=OPPORTUNITY_FIELDS,
        data=changes,
        check=check,
        related=["owner"],
    )
    if changed:
        webhook_event("deal.updated", updated, actor=actor)
    return updated


@transaction.atomic
def opportunity_move_stage(
    *,
    actor: User,
    opportunity: Opportunity,
    to_stage: Stage,
    from_stage: Stage | None = None,
    reason: CloseReason | None = None,
    note: str = "",
) -> StageChange:
    """Move a deal to another stage of its pipeline and record the move.

    `from_stage` is the stage the user saw; if the deal has moved since, the move is
    refused rather than applied on top of a change the user never saw. The UPDATE is
    conditional on that stage, so of two simultaneous moves exactly one succeeds.
    """
    stored = (
        Opportunity.objects.select_related("owner", "account", "stage")
        .filter(pk=opportunity.pk)
        .first()
    )
    if stored is None:
        raise MoveRefused("This deal no longer exists.")
    if not deal_access.can_edit_opportunity(actor, stored):
        raise MoveRefused("This deal is read-only for you.")
    seen = from_stage or stored.stage
    if to_stage.pipeline_id != stored.pipeline_id:
        raise MoveRefused(f"{to_stage.name} is a stage of another pipeline.")
    if to_stage.pk == seen.pk:
        raise MoveRefused(f"The deal is already in {to_stage.name}.")
    if len(note) > 2000:
        raise MoveRefused("Keep the note under 2,000 characters.")
    if to_stage.is_closed:
        if reason is None:
            verb = "won" if to_stage.outcome == Stage.Outcome.WON else "lost or disqualified"
            raise MoveRefused(f"Say why the deal was {verb}: pick a reason.")
        if not reason.active or not reason.fits(to_stage.outcome):
            raise MoveRefused(f"“{reason.name}” is not a reason for {to_stage.name}.")
    elif reason is not None:
        raise MoveRefused("A reason is asked only when a deal is won, lost or disqualified.")

    now = timezone.now()
    moved = Opportunity.objects.filter(pk=stored.pk, stage_id=seen.pk).update(
        stage=to_stage,
        closed_at=now if to_stage.is_closed else None,
        close_reason=reason,
        stuck_since=None,
        updated_at=now,
    )
    if moved != 1:
        current = Stage.objects.filter(opportunities=stored.pk).values_list("name", flat=True)
        raise MoveRefused(
            f"Someone moved this deal meanwhile: it is now in {current.first()}. "
            "Nothing was changed; look again and move it if you still want to."
        )
    change = StageChange.objects.create(
        opportunity=stored,
        from_stage=seen,
        to_stage=to_stage,
        at=now,
        by=actor,
        note=note,
        reason=reason,
        **_readiness(stored.account),
    )
    flow.refresh(Opportunity, StageChange, ids=[stored.pk])
    if to_stage.outcome == Stage.Outcome.WON:
        # A prospect that buys is a customer: part of winning, wherever the win is made.
        prospect_services.account_become_customer(
            account=stored.account, actor=actor, because=f"won “{stored.name}”", at=now
        )
    for moved_deal in (opportunity, stored):
        moved_deal.stage = to_stage
        moved_deal.closed_at = now if to_stage.is_closed else None
        moved_deal.close_reason = reason
        moved_deal.stuck_since = None
        moved_deal.updated_at = now
    webhook_event("deal.stage_moved", stored, actor=actor)
    if to_stage.outcome == Stage.Outcome.WON:
        webhook_event("deal.won", stored, actor=actor)
    elif to_stage.outcome == Stage.Outcome.LOST:
        webhook_event("deal.lost", stored, actor=actor)
    return change


# --- Product specialist -----------------------------------------------------------------


@transaction.atomic
def opportunity_request_specialist(*, actor: User, opportunity: Opportunity) -> Opportunity:
    locked = (
        Opportunity.objects.select_for_update()
        .select_related("owner", "account")
        .get(pk=opportunity.pk)
    )
    if not deal_access.can_edit_opportunity(actor, locked):
        raise ValidationError("This deal is read-only for you.")
    if locked.specialist_requested_at is not None:
        raise ValidationError("A specialist is already requested for this deal.")
    if locked.is_closed:
        raise ValidationError("This deal is closed.")
    if not deal_selectors.is_qualified_for_specialist(opportunity=locked):
        raise ValidationError(
            "Not qualified yet: a specialist joins once the prospect has a problem, accepts "
            "it is significant and is ready to act — or once a manager vouches for the deal."
        )
    locked.specialist_requested_at = timezone.now()
    locked.specialist_requested_by = actor
    locked.save(update_fields=["specialist_requested_at", "specialist_requested_by", "updated_at"])
    return locked


@transaction.atomic
def opportunity_override_specialist(
    *, actor: User, opportunity: Opportunity, note: str
) -> Opportunity:
    """A manager vouches that the deal is qualified enough for a specialist, and says why."""
    locked = Opportunity.objects.select_for_update().select_related("owner").get(pk=opportunity.pk)
    if not deal_access.may_vouch(user=actor, opportunity=locked):
        raise ValidationError("Only the team's manager can vouch for a deal.")
    if locked.is_closed:
        raise ValidationError("This deal is closed.")
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say why the deal is qualified enough."})
    locked.specialist_override_by = actor
    locked.specialist_override_note = note
    locked.specialist_override_at = timezone.now()
    locked.full_clean()
    locked.save(
        update_fields=[
            "specialist_override_by",
            "specialist_override_note",
            "specialist_override_at",
            "updated_at",
        ]
    )
    return locked


# --- Stuck deals ------------------------------------------------------------------------


def opportunities_mark_stuck(*, now: datetime | None = None) -> tuple[int, int]:
    """Record which deals became stuck (notifying each owner once) and un-stick the rest.

    Returns (newly stuck, no longer stuck). Safe to run twice at once: each deal is
    claimed with a conditional UPDATE, so its owner is told exactly once.
    """
    now = now or timezone.now()
    stuck = deal_selectors.stuck_opportunities(Opportunity.objects.all(), now=now)
    unstuck = opportunities_unstick(Opportunity.objects.all(), now=now)
    newly = (
        stuck.filter(stuck_since__isnull=True)
        .select_related("account", "stage")
        .annotate(why_text=deal_selectors.current_why_text())
        .order_by("pk")
    )
    count = 0
    for deal in newly.iterator(chunk_size=500):
        since = deal.last_activity_at + timedelta(days=deal.stage.stuck_after_days)
        with transaction.atomic():
            claimed = Opportunity.objects.filter(pk=deal.pk, stuck_since__isnull=True).update(
                stuck_since=min(since, now)
            )
            if claimed:
                Notification.objects.create(
                    user_id=deal.owner_id,
                    kind=Notification.Kind.STUCK_DEAL,
                    title=f"{deal.account.name} — {deal.name}: stuck in {deal.stage.name}"[:200],
                    body=_revisit_prompt(deal.why_text),
                    url=reverse("pipeline:opportunity_detail", args=[deal.pk]),
                )
                count += 1
    return count, unstuck


def opportunities_unstick(
    opportunities: QuerySet[Opportunity], *, now: datetime | None = None
) -> int:
    """Forget the check's finding for those of the deals that are no longer stuck.

    Called by the daily check, by what counts as activity on a deal (a conversation on
    its account, a change to its SOE) for the deals it touched, and by a follow-up held
    back for a deal (it marinates): Today's stuck list and the coaching figures read the
    finding, and must drop a deal as soon as someone works on it.
    A conversation logged long after it happened may leave the deal stuck: the rule
    decides, not the kind of write.
    """
    found = opportunities.filter(stuck_since__isnull=False)
    # Most activity touches deals that are not stuck: one cheap look, not the rule's query.
    if not found.exists():
        return 0
    still = deal_selectors.stuck_opportunities(found, now=now)
    return found.exclude(pk__in=still.values("pk")).update(stuck_since=None)


def _revisit_prompt(why: str | None) -> str:
    if not why:
        return (
            "Nothing has happened for a while, and the prospect's why is not recorded yet. "
            "Before anything else, find out why they wanted to change in the first place."
        )
    return (
        f"Their why, in their words: “{why}” Before adding pressure, features or "
        "discounts, go back to it with them: does it still hold?"
    )


def _check_committee_edit(*, actor: User, opportunity: Opportunity) -> Opportunity:
    """The deal, locked, if the actor may edit it: two people adding the same person at once
    wait for each other, and the second gets the "already on it" message, not an error."""
    locked = Opportunity.objects.select_for_update().filter(pk=opportunity.pk).first()
    if locked is None:
        raise ValidationError("This deal no longer exists.")
    if not deal_access.can_edit_opportunity(actor, locked):
        raise ValidationError("This deal is read-only for you; its buying committee too.")
    return locked


@transaction.atomic
def deal_contact_add(
    *, actor: User, opportunity: Opportunity, contact: Contact, role: str = ""
) -> DealContact:
    """Put one of the account's contacts on the deal's buying committee."""
    locked = _check_committee_edit(actor=actor, opportunity=opportunity)
    if contact.account_id != locked.account_id:
        raise ValidationError(
            {"contact": "Pick one of this deal's account's contacts: this person is not one."}
        )
    if DealContact.objects.filter(opportunity=locked, contact=contact).exists():
        raise ValidationError({"contact": "This person is already on the buying committee."})
    seat = DealContact(opportunity=locked, contact=contact, role=role, added_by=actor)
    seat.full_clean()
    seat.save()
    return seat


@transaction.atomic
def deal_contact_remove(*, actor: User, opportunity: Opportunity, seat_id: int) -> None:
    """Take someone off the deal's buying committee (the contact itself stays)."""
    locked = _check_committee_edit(actor=actor, opportunity=opportunity)
    deleted, _ = DealContact.objects.filter(pk=seat_id, opportunity=locked).delete()
    if not deleted:
        raise ValidationError("This person is no longer on the buying committee.")
