"""Writes for deals. Every stage move, from any entry point, goes through opportunity_move_stage."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from pipeline import flow, patience, selectors
from pipeline.models import (
    CalendarFeed,
    CloseReason,
    FollowUp,
    FollowUpEvent,
    Opportunity,
    PatienceRule,
    Pipeline,
    Sequence,
    SoeChange,
    SoeStep,
    SoeTemplate,
    Stage,
    StageChange,
)
from prospects import selectors as prospect_selectors
from prospects import services as prospect_services
from prospects.models import (
    READINESS_QUESTIONS,
    Account,
    Conversation,
    ConversationKind,
    LeadSource,
)
from salesflow.core.models import Notification, User

logger = logging.getLogger(__name__)

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


def _check_owner(*, actor: User, owner: User) -> None:
    if not prospect_selectors.assignable_owners(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": "You cannot give deals to this person."})


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
    if not prospect_selectors.can_edit_account(actor, account):
        raise ValidationError("You can open deals only on accounts you may edit.")
    _check_owner(actor=actor, owner=owner)
    pipeline = pipeline or selectors.default_pipeline_for(account)
    if pipeline is None:
        raise ValidationError("No pipeline is set up yet; ask sales ops to create one.")
    if stage is None:
        stages = selectors.open_stages(pipeline=pipeline)
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
    return opportunity


@transaction.atomic
def opportunity_update(*, actor: User, opportunity: Opportunity, **changes: object) -> Opportunity:
    unknown = set(changes) - set(OPPORTUNITY_FIELDS)
    if unknown:
        raise TypeError(f"opportunity_update cannot change {', '.join(sorted(unknown))}")
    # Access is checked on the stored row, not on an instance a bound form has changed.
    locked = Opportunity.objects.select_for_update().select_related("owner").get(pk=opportunity.pk)
    if not selectors.can_edit_opportunity(actor, locked):
        raise ValidationError("This deal is read-only for you.")
    if "owner" in changes and changes["owner"] != locked.owner:
        _check_owner(actor=actor, owner=changes["owner"])  # type: ignore[arg-type]
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save()
    return locked


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
    if not selectors.can_edit_opportunity(actor, stored):
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
    opportunity.stage = to_stage
    opportunity.closed_at = now if to_stage.is_closed else None
    opportunity.close_reason = reason
    opportunity.stuck_since = None
    return change


# --- Product specialist -----------------------------------------------------------------


@transaction.atomic
def opportunity_request_specialist(*, actor: User, opportunity: Opportunity) -> Opportunity:
    locked = (
        Opportunity.objects.select_for_update()
        .select_related("owner", "account")
        .get(pk=opportunity.pk)
    )
    if not selectors.can_edit_opportunity(actor, locked):
        raise ValidationError("This deal is read-only for you.")
    if locked.specialist_requested_at is not None:
        raise ValidationError("A specialist is already requested for this deal.")
    if locked.is_closed:
        raise ValidationError("This deal is closed.")
    if not selectors.is_qualified_for_specialist(opportunity=locked):
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
    if not selectors.may_vouch(user=actor, opportunity=locked):
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
    stuck = selectors.stuck_opportunities(Opportunity.objects.all(), now=now)
    unstuck = opportunities_unstick(Opportunity.objects.all(), now=now)
    newly = (
        stuck.filter(stuck_since__isnull=True)
        .select_related("account", "stage")
        .annotate(why_text=selectors.current_why_text())
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
    still = selectors.stuck_opportunities(found, now=now)
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


# --- Sequence of Events -----------------------------------------------------------------

# The fields of a step a person edits; status moves through soe_step_done/skip/reopen.
STEP_FIELDS = (
    "text",
    "kind",
    "proposed_by",
    "proposed_on",
    "source_conversation",
    "owner_side",
    "responsible_contact",
    "responsible_user",
    "target_date",
    "notes",
)
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def _check_soe_access(actor: User, sequence: Sequence) -> None:
    if not selectors.can_edit_opportunity(actor, sequence.opportunity):
        raise ValidationError("This deal's Sequence of Events is read-only for you.")


def _record(
    sequence: Sequence,
    actor: User,
    action: str,
    summary: str,
    *,
    step: SoeStep | None = None,
    old_target_date: date | None = None,
) -> None:
    SoeChange.objects.create(
        sequence=sequence,
        step=step,
        action=action,
        at=timezone.now(),
        by=actor,
        summary=summary[:400],
        old_target_date=old_target_date,
    )
    opportunities_unstick(Opportunity.objects.filter(pk=sequence.opportunity_id))


def _check_step(step: SoeStep) -> None:
    """What the database cannot check: the people and conversation belong to this
    account, and the dates are ones a person could mean."""
    account_id = step.sequence.opportunity.account_id
    errors: dict[str, str] = {}
    for field in ("proposed_by", "responsible_contact", "source_conversation"):
        related = getattr(step, field)
        if related is not None and related.account_id != account_id:
            errors[field] = "Pick one of this account's own."
    if step.responsible_user is not None and not step.responsible_user.is_active:
        errors["responsible_user"] = "Pick someone who can still sign in."
    for field in ("target_date", "proposed_on"):
        value = getattr(step, field)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            errors[field] = "Pick a date between 2000 and 2100."
    if step.proposed_on and step.proposed_on > timezone.localdate():
        errors["proposed_on"] = "A step cannot have been proposed in the future."
    if len(step.notes) > 2000:
        errors["notes"] = "Keep the notes under 2,000 characters."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def soe_start(
    *, actor: User, opportunity: Opportunity, template: SoeTemplate | None = None
) -> Sequence:
    """Open the deal's SOE, blank or seeded from a template (whose steps are then the
    rep's to change: nothing ties them to the template afterwards)."""
    if not selectors.can_edit_opportunity(actor, opportunity):
        raise ValidationError("This deal is read-only for you.")
    sequence, created = Sequence.objects.get_or_create(
        opportunity=opportunity, defaults={"template": template}
    )
    if not created:
        raise ValidationError("This deal already has a Sequence of Events.")
    today = timezone.localdate()
    steps = []
    if template is not None:
        for position, seed in enumerate(template.steps.order_by("position", "pk")):
            target = (
                today + timedelta(days=seed.days_after_start)
                if seed.days_after_start is not None
                else None
            )
            steps.append(
                SoeStep(
                    sequence=sequence,
                    position=position,
                    text=seed.text,
                    kind_id=seed.kind_id,
                    owner_side=seed.owner_side,
                    target_date=target,
                    first_target_date=target,
                )
            )
        SoeStep.objects.bulk_create(steps)
    summary = f"From the template “{template.name}”" if template else "Blank"
    _record(sequence, actor, SoeChange.Action.STARTED, summary)
    return sequence


@transaction.atomic
def soe_step_add(
    *, actor: User, sequence: Sequence, position: int | None = None, **fields: object
) -> SoeStep:
    """Add a step at `position` (0 = first), or at the end; later steps move down."""
    _check_soe_access(actor, sequence)
    unknown = set(fields) - set(STEP_FIELDS)
    if unknown:
        raise TypeError(f"soe_step_add cannot set {', '.join(sorted(unknown))}")
    # Lock the SOE so two people adding steps at once cannot take the same place.
    Sequence.objects.select_for_update().get(pk=sequence.pk)
    count = sequence.steps.count()
    position = count if position is None else max(0, min(position, count))
    step = SoeStep(sequence=sequence, position=position, **fields)
    step.first_target_date = step.target_date
    step.full_clean(exclude=["sequence"])
    _check_step(step)
    sequence.steps.filter(position__gte=position).update(position=F("position") + 1)
    step.save()
    _record(sequence, actor, SoeChange.Action.ADDED, step.text, step=step)
    return step


@transaction.atomic
def soe_step_update(*, actor: User, step: SoeStep, **changes: object) -> SoeStep:
    unknown = set(changes) - set(STEP_FIELDS)
    if unknown:
        raise TypeError(f"soe_step_update cannot change {', '.join(sorted(unknown))}")
    locked = (
        SoeStep.objects.select_for_update()
        .select_related("sequence__opportunity__owner")
        .get(pk=step.pk)
    )
    _check_soe_access(actor, locked.sequence)
    old_date = locked.target_date
    changed = [field for field, value in changes.items() if getattr(locked, field) != value]
    for field, value in changes.items():
        setattr(locked, field, value)
    if locked.first_target_date is None:
        locked.first_target_date = locked.target_date
    locked.full_clean(exclude=["sequence"])
    _check_step(locked)
    locked.save()
    if "target_date" in changed:
        _record(
            locked.sequence,
            actor,
            SoeChange.Action.DATE_MOVED,
            f"{locked.text}: {old_date or 'no date'} → {locked.target_date or 'no date'}",
            step=locked,
            old_target_date=old_date,
        )
    others = [field for field in changed if field != "target_date"]
    if others:
        labels = ", ".join(str(SoeStep._meta.get_field(f).verbose_name) for f in others)
        _record(
            locked.sequence, actor, SoeChange.Action.EDITED, f"{locked.text}: {labels}", step=locked
        )
    return locked


@transaction.atomic
def soe_reorder(*, actor: User, sequence: Sequence, step_ids: list[int]) -> None:
    """Put the steps in the given order; the list must name every step of this SOE once."""
    _check_soe_access(actor, sequence)
    Sequence.objects.select_for_update().get(pk=sequence.pk)
    current = list(sequence.steps.order_by("position", "pk").values_list("pk", flat=True))
    if sorted(step_ids) != sorted(current) or len(set(step_ids)) != len(step_ids):
        raise ValidationError(
            "The steps changed while you were reordering them; reload and try again."
        )
    if step_ids == current:
        return
    steps = list(sequence.steps.all())
    place = {pk: position for position, pk in enumerate(step_ids)}
    for step in steps:
        step.position = place[step.pk]
    SoeStep.objects.bulk_update(steps, ["position"])
    texts = {step.pk: step.text for step in steps}
    _record(
        sequence,
        actor,
        SoeChange.Action.MOVED,
        "Now: " + " → ".join(texts[pk] for pk in step_ids),
    )


def _transition(
    *, actor: User, step: SoeStep, to: str, action: str, summary: str, **values: object
) -> SoeStep:
    """Move a step between states with a conditional UPDATE: of two clicks, one counts."""
    allowed = {
        SoeStep.Status.DONE: {SoeStep.Status.OPEN},
        SoeStep.Status.SKIPPED: {SoeStep.Status.OPEN},
        SoeStep.Status.OPEN: {SoeStep.Status.DONE, SoeStep.Status.SKIPPED},
    }[to]
    current = SoeStep.objects.select_related("sequence__opportunity__owner").get(pk=step.pk)
    _check_soe_access(actor, current.sequence)
    moved = SoeStep.objects.filter(pk=step.pk, status__in=allowed).update(
        status=to, updated_at=timezone.now(), **values
    )
    if moved != 1:
        raise ValidationError(f"This step is already {current.get_status_display().lower()}.")
    current.refresh_from_db()
    _record(current.sequence, actor, action, summary or current.text, step=current)
    return current


@transaction.atomic
def soe_step_done(*, actor: User, step: SoeStep, done_on: date | None = None) -> SoeStep:
    """Mark a step done, in any order: prospects rarely follow their own list. Where a
    patience rule says so, a follow-up is proposed, held while the step marinates."""
    done_on = done_on or timezone.localdate()
    if not EARLIEST_DATE <= done_on <= timezone.localdate():
        raise ValidationError({"done_on": "Pick a day between 2000 and today."})
    done = _transition(
        actor=actor,
        step=step,
        to=SoeStep.Status.DONE,
        action=SoeChange.Action.DONE,
        summary="",
        done_on=done_on,
        skip_reason="",
    )
    marinate = PatienceRule.objects.filter(active=True, kind=PatienceRule.Kind.AFTER_SOE_STEP)
    opportunity = done.sequence.opportunity
    if marinate.exists() and not opportunity.is_closed:
        done.follow_up_proposal = followup_propose(
            actor=actor,
            account=opportunity.account,
            opportunity=opportunity,
            purpose=PURPOSE_AFTER_STEP.format(step=done.text)[:300],
        )
    return done


@transaction.atomic
def soe_step_skip(*, actor: User, step: SoeStep, reason: str) -> SoeStep:
    reason = _reason(reason, "Say why the step is skipped")
    return _transition(
        actor=actor,
        step=step,
        to=SoeStep.Status.SKIPPED,
        action=SoeChange.Action.SKIPPED,
        summary=f"{step.text}: {reason}",
        skip_reason=reason,
        done_on=None,
    )


@transaction.atomic
def soe_step_reopen(*, actor: User, step: SoeStep) -> SoeStep:
    return _transition(
        actor=actor,
        step=step,
        to=SoeStep.Status.OPEN,
        action=SoeChange.Action.REOPENED,
        summary="",
        skip_reason="",
        done_on=None,
    )


@transaction.atomic
def soe_set_reception(
    *, actor: User, sequence: Sequence, reception: str, note: str = ""
) -> Sequence:
    """How the prospect received the SOE: a lukewarm or declined one is a warning sign."""
    _check_soe_access(actor, sequence)
    if reception not in Sequence.Reception.values:
        raise ValidationError({"reception": "Pick how they received it."})
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2,000 characters."})
    locked = Sequence.objects.select_for_update().get(pk=sequence.pk)
    locked.reception = reception
    locked.reception_note = note.strip()
    locked.reception_at = timezone.now()
    locked.save(update_fields=["reception", "reception_note", "reception_at"])
    summary = locked.get_reception_display() + (
        f": {locked.reception_note}" if locked.reception_note else ""
    )
    _record(locked, actor, SoeChange.Action.RECEPTION, summary)
    return locked


# --- Calendar feed ----------------------------------------------------------------------


def calendar_feed_renew(*, user: User) -> tuple[CalendarFeed, str]:
    """A new secret feed address for the user; any earlier address stops working. Returns
    the feed and its token, which is kept nowhere: show it now or never."""
    token = secrets.token_urlsafe(32)
    feed, _ = CalendarFeed.objects.update_or_create(
        user=user,
        defaults={"token_hash": CalendarFeed.hash_token(token), "created_at": timezone.now()},
    )
    return feed, token


def calendar_feed_revoke(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user).delete()


# --- Follow-ups held back on purpose -------------------------------------------------------

SURFACE_BATCH = 500


def _patience_facts(
    *, owner: User, account: Account, opportunity: Opportunity | None
) -> patience.Facts:
    last = (
        Conversation.objects.filter(account=account)
        .order_by("-occurred_at", "-pk")
        .values_list("kind", "occurred_at")
        .first()
    )
    step_done_on = None
    dragging = False
    if opportunity is not None:
        step_done_on = (
            SoeStep.objects.filter(sequence__opportunity=opportunity, status=SoeStep.Status.DONE)
            .order_by("-done_on")
            .values_list("done_on", flat=True)
            .first()
        )
        in_evaluation = opportunity.stage.question_kind == ConversationKind.EVALUATION_CHECK_IN
        dragging = (
            in_evaluation
            and selectors.stuck_opportunities(
                Opportunity.objects.filter(pk=opportunity.pk)
            ).exists()
        )
    return patience.Facts(
        now=timezone.now(),
        time_zone=owner.time_zone,
        last_conversation=tuple(last) if last else None,  # type: ignore[arg-type]
        last_step_done_on=step_done_on,
        dragging_evaluation=dragging,
    )


def _reason(text: str, ask: str) -> str:
    """A required reason of up to 300 characters, stripped; refused with `ask` otherwise."""
    text = text.strip()
    if not text or len(text) > 300:
        raise ValidationError({"reason": f"{ask} (up to 300 characters)."})
    return text


def _followup_event(follow_up: FollowUp, action: str, *, by: User | None, note: str = "") -> None:
    FollowUpEvent.objects.create(
        follow_up=follow_up, action=action, at=timezone.now(), by=by, note=note[:400]
    )


@transaction.atomic
def followup_create(
    *,
    actor: User,
    account: Account,
    purpose: str,
    opportunity: Opportunity | None = None,
    channel: str = "email",
    draft: str = "",
    proposed: bool = False,
) -> FollowUp:
    """A follow-up, held for as long as the patience rules say, and why."""
    if not prospect_selectors.can_edit_account(actor, account):
        raise ValidationError("This account is read-only for you.")
    if opportunity is not None and opportunity.account_id != account.pk:
        raise ValidationError({"opportunity": "Pick one of this account's deals."})
    purpose = purpose.strip()
    if not purpose:
        raise ValidationError({"purpose": "Say what this follow-up will accomplish."})
    owner = opportunity.owner if opportunity is not None else account.owner
    facts = _patience_facts(owner=owner, account=account, opportunity=opportunity)
    found = patience.holds(facts, list(PatienceRule.objects.filter(active=True)))
    team = owner.team
    follow_up = FollowUp(
        account=account,
        opportunity=opportunity,
        owner=owner,
        review=FollowUp.Review.PENDING if team and team.review_followups else "",
        channel=channel,
        draft=draft,
        purpose=purpose,
        surface_at=patience.surface_at(facts, found),
        holds=[hold.as_json() for hold in found],
        end_of_quarter=any(h.rule == PatienceRule.Kind.END_OF_QUARTER for h in found),
        proposed=proposed,
    )
    follow_up.full_clean()
    follow_up.save()
    note = "; ".join(hold.why for hold in found) or "no rule applies: due at once"
    _followup_event(follow_up, "held", by=None if proposed else actor, note=note)
    if opportunity is not None:
        # Held back on purpose, the deal marinates: the stuck check's finding no longer
        # stands (the rule decides: a follow-up due at once changes nothing).
        opportunities_unstick(Opportunity.objects.filter(pk=opportunity.pk))
    if follow_up.review == FollowUp.Review.PENDING:
        _tell_about_review(follow_up, team.manager, "A draft to review", follow_up.purpose)
    return follow_up


def _tell_about_review(follow_up: FollowUp, user: User | None, title: str, body: str) -> None:
    if user is None:
        return
    Notification.objects.create(
        user=user,
        kind=Notification.Kind.FOLLOW_UP,
        title=f"{title}: {follow_up.account.name}"[:200],
        body=body[:1000],
        url=reverse("pipeline:followup_detail", args=[follow_up.pk]),
    )


@dataclass(frozen=True)
class Proposal:
    """What a patience rule's proposal came to: a new follow-up, or the one already waiting
    on the account or deal, held by the new reasons too (`added`)."""

    follow_up: FollowUp
    created: bool
    added: tuple[str, ...] = ()

    def message(self) -> str:
        """Said to the rep where the conversation or step was logged, in their own zone."""
        follow_up = self.follow_up
        if follow_up.surface_at <= timezone.now():
            when = "due now"
        else:
            when = f"held until {patience.describe_end(follow_up.surface_at)}"
        reasons = "; ".join(hold["why"] for hold in follow_up.holds)
        reasons = f": {reasons}." if reasons else "."
        if self.created:
            return f"A follow-up is proposed, {when}{reasons}"
        if not self.added:
            return f"The follow-up already waiting, “{follow_up.purpose}”, stays {when}{reasons}"
        return f"The follow-up already waiting, “{follow_up.purpose}”, is now {when}{reasons}"


@transaction.atomic
def followup_hold(*, actor: User, follow_up: FollowUp) -> Proposal:
    """Hold a waiting follow-up by the patience rules that apply now (after a new
    conversation, a step done): each new reason joins its list and the latest hold wins, so
    it never surfaces earlier than it was to. Only a held follow-up learns holds; the history
    says which were added."""
    locked = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("account", "opportunity__stage", "owner")
        .get(pk=follow_up.pk)
    )
    if not prospect_selectors.can_edit_account(actor, locked.account):
        raise ValidationError("This follow-up is read-only for you.")
    if locked.status != FollowUp.Status.HELD:
        raise ValidationError(
            f"This follow-up is already {locked.get_status_display().lower()}: it waits no more."
        )
    facts = _patience_facts(
        owner=locked.owner, account=locked.account, opportunity=locked.opportunity
    )
    found = patience.holds(facts, list(PatienceRule.objects.filter(active=True)))
    holds = [dict(hold) for hold in locked.holds]
    added: list[str] = []
    for hold in found:
        same = next((h for h in holds if (h["rule"], h["why"]) == (hold.rule, hold.why)), None)
        if same is None:
            holds.append(hold.as_json())
            added.append(hold.why)
        elif datetime.fromisoformat(same["until"]) < hold.until:
            same["until"] = hold.until.isoformat()
            added.append(hold.why)
    if not added:
        return Proposal(locked, created=False)
    surface_at = max(locked.surface_at, patience.surface_at(facts, found))
    end_of_quarter = any(h["rule"] == PatienceRule.Kind.END_OF_QUARTER for h in holds)
    # The row is locked, so the sweep (which skips locked rows) cannot surface it meanwhile.
    moved = FollowUp.objects.filter(pk=locked.pk, status=FollowUp.Status.HELD).update(
        surface_at=surface_at, holds=holds, end_of_quarter=end_of_quarter
    )
    if moved != 1:
        raise ValidationError("This follow-up waits no more.")
    locked.refresh_from_db()
    _followup_event(locked, "hold added", by=actor, note="; ".join(added))
    return Proposal(locked, created=False, added=tuple(added))


@transaction.atomic
def followup_propose(
    *, actor: User, account: Account, opportunity: Opportunity | None, purpose: str
) -> Proposal:
    """A follow-up the rules suggest; where one they proposed is still waiting on this
    account or deal, that one is held by the new reasons instead of a second being made."""
    # Locked, so the sweep cannot surface it while it learns the new holds; one the sweep
    # has just surfaced no longer matches once its lock is released, and a new one is made.
    waiting = (
        FollowUp.objects.select_for_update(of=("self",))
        .filter(
            account=account, opportunity=opportunity, status=FollowUp.Status.HELD, proposed=True
        )
        .order_by("pk")
        .first()
    )
    if waiting is not None:
        return followup_hold(actor=actor, follow_up=waiting)
    follow_up = followup_create(
        actor=actor, account=account, opportunity=opportunity, purpose=purpose, proposed=True
    )
    return Proposal(follow_up, created=True)


# What an automatically proposed follow-up is for; the rep edits it freely.
PURPOSE_AFTER_CONVERSATION = (
    "Hear how the {kind} conversation sits with them — does it still answer their why?"
)
PURPOSE_AFTER_STEP = "“{step}” is done: check in on what comes next, in their words."


def followup_after_conversation(*, actor: User, conversation: Conversation) -> Proposal | None:
    """After a conversation of a kind a patience rule names, propose a follow-up — held — or
    hold the one already waiting by this conversation too."""
    rules = PatienceRule.objects.filter(
        active=True,
        kind=PatienceRule.Kind.AFTER_CONVERSATION,
        conversation_kind=conversation.kind,
    )
    if not rules.exists():
        return None
    deal = (
        Opportunity.objects.filter(account_id=conversation.account_id, closed_at__isnull=True)
        .order_by("-updated_at")
        .first()
    )
    purpose = PURPOSE_AFTER_CONVERSATION.format(kind=conversation.get_kind_display().lower())
    return followup_propose(
        actor=actor, account=conversation.account, opportunity=deal, purpose=purpose
    )


def followups_surface_due(
    *, now: datetime | None = None, batch: int = SURFACE_BATCH, limit: int | None = None
) -> int:
    """Surface every held follow-up whose time has come; safe with any number of sweeps
    at once. Each batch is claimed with SKIP LOCKED, so two sweeps never take the same
    rows, and the notifications are queued only once the batch has committed. Each batch
    commits on its own: a sweep killed half-way leaves whole batches surfaced and the rest
    held, for the next sweep. `limit` stops after about that many (for paced runs)."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            due = (
                FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(selectors.followup_surfaces_condition(now=now))
                .order_by("surface_at", "pk")
                .values_list("pk", flat=True)[:batch]
            )
            ids = list(due)
            if not ids:
                return total
            FollowUp.objects.filter(pk__in=ids, status=FollowUp.Status.HELD).update(
                status=FollowUp.Status.SURFACED, surfaced_at=now
            )
            FollowUpEvent.objects.bulk_create(
                FollowUpEvent(follow_up_id=pk, action="surfaced", at=now) for pk in ids
            )
            transaction.on_commit(lambda ids=ids: _queue_notifications(ids))
        total += len(ids)
        if limit is not None and total >= limit:
            return total


def _queue_notifications(ids: list[int]) -> None:
    from pipeline import tasks  # the task module imports this one

    try:
        tasks.notify_followups_surfaced.delay(ids)
    except Exception:  # noqa: BLE001 - any broker failure: the next sweep catches up
        logger.warning("Could not queue notifications for %d follow-ups; will retry", len(ids))


def followups_notify_pending(*, within: timedelta = timedelta(days=2)) -> int:
    """Notify surfaced follow-ups nobody was told about yet (the queue was down, a worker
    died): correctness never depends on the queue having delivered."""
    since = timezone.now() - within
    told = Notification.objects.filter(
        key=Concat(Value("follow-up:"), Cast(OuterRef("pk"), CharField()), Value(":surfaced"))
    )
    pending = FollowUp.objects.filter(
        status=FollowUp.Status.SURFACED, surfaced_at__gte=since
    ).exclude(Exists(told))
    ids = list(pending.values_list("pk", flat=True)[:SURFACE_BATCH])
    return followups_notify_surfaced(follow_up_ids=ids) if ids else 0


def followups_notify_surfaced(*, follow_up_ids: list[int]) -> int:
    """Tell each owner once, in the app and by email; a repeat finds its key and skips."""
    sent = 0
    for follow_up in FollowUp.objects.filter(
        pk__in=follow_up_ids, status=FollowUp.Status.SURFACED
    ).select_related("account", "owner"):
        url = reverse("pipeline:followup_detail", args=[follow_up.pk])
        _, created = Notification.objects.get_or_create(
            key=f"follow-up:{follow_up.pk}:surfaced",
            defaults={
                "user": follow_up.owner,
                "kind": Notification.Kind.FOLLOW_UP,
                "title": f"Time to follow up with {follow_up.account.name}"[:200],
                "body": f"Purpose: {follow_up.purpose}",
                "url": url,
            },
        )
        if created and follow_up.owner.email:
            send_mail(
                subject=f"salesflow: time to follow up with {follow_up.account.name}",
                message=f"{follow_up.purpose}\n\n{follow_up.draft}".strip(),
                from_email=None,
                recipient_list=[follow_up.owner.email],
                fail_silently=True,
            )
        sent += created
    return sent


def _followup_move(
    *,
    actor: User,
    follow_up: FollowUp,
    allowed: set[str] | Q,
    to: str,
    **values: object,
) -> FollowUp:
    current = FollowUp.objects.select_related("account__owner", "owner").get(pk=follow_up.pk)
    if not prospect_selectors.can_edit_account(actor, current.account) and actor != current.owner:
        raise ValidationError("This follow-up is read-only for you.")
    condition = allowed if isinstance(allowed, Q) else Q(status__in=allowed)
    moved = FollowUp.objects.filter(condition, pk=current.pk).update(status=to, **values)
    if moved != 1:
        if current.status == FollowUp.Status.HELD and current.review == FollowUp.Review.PENDING:
            raise ValidationError("This follow-up is waiting for the manager's review.")
        if current.status == FollowUp.Status.HELD and current.review == FollowUp.Review.SENT_BACK:
            raise ValidationError("This follow-up was sent back: rework it first.")
        if current.status == FollowUp.Status.HELD:
            raise ValidationError("This follow-up is still held: its time has not come.")
        raise ValidationError(f"This follow-up is already {current.get_status_display().lower()}.")
    current.refresh_from_db()
    return current


@transaction.atomic
def followup_surface_now(*, actor: User, follow_up: FollowUp, reason: str) -> FollowUp:
    """Break the patience on purpose: the reason is kept, and the manager sees it."""
    reason = _reason(reason, "Say why it cannot wait")
    now = timezone.now()
    done = _followup_move(
        actor=actor,
        follow_up=follow_up,
        # Not past a review the team asked for: that is the manager's call.
        allowed=selectors.FOLLOWUP_MAY_SURFACE,
        to=FollowUp.Status.SURFACED,
        surfaced_at=now,
        surfaced_early_reason=reason,
    )
    _followup_event(done, "surfaced early", by=actor, note=reason)
    return done


@transaction.atomic
def followup_done(*, actor: User, follow_up: FollowUp, kind: str = "", notes: str = "") -> FollowUp:
    """Done once it is due: surfaced, or held past its time (the sweep may not have run
    yet — "due" is read from the database, never from the queue). With a kind, the
    conversation it led to is logged in the same step."""
    now = timezone.now()
    done = _followup_move(
        actor=actor,
        follow_up=follow_up,
        allowed=selectors.followup_due_condition(now=now),
        to=FollowUp.Status.DONE,
        closed_at=now,
    )
    _followup_event(done, "done", by=actor)
    if kind:
        prospect_services.conversation_log(
            actor=actor,
            account=done.account,
            occurred_at=now,
            channel=done.channel,
            kind=kind,
            notes=notes,
        )
    return done


@transaction.atomic
def followup_dismiss(*, actor: User, follow_up: FollowUp, reason: str) -> FollowUp:
    reason = _reason(reason, "Say why it is dismissed")
    done = _followup_move(
        actor=actor,
        follow_up=follow_up,
        allowed={FollowUp.Status.HELD, FollowUp.Status.SURFACED},
        to=FollowUp.Status.DISMISSED,
        closed_at=timezone.now(),
        dismissed_reason=reason,
    )
    _followup_event(done, "dismissed", by=actor, note=reason)
    return done


@transaction.atomic
def followup_review(
    *, actor: User, follow_up: FollowUp, approve: bool, comment: str = "", draft: str | None = None
) -> FollowUp:
    """The manager's second look: approve (perhaps with the draft edited) or send it back
    with a comment. Only a follow-up waiting for review can be reviewed."""
    locked = FollowUp.objects.select_for_update().select_related("owner").get(pk=follow_up.pk)
    if not selectors.may_review_followup(user=actor, follow_up=locked):
        raise ValidationError("Only the team's manager reviews its follow-ups.")
    waiting = FollowUp.objects.filter(
        selectors.FOLLOWUP_IN_REVIEW, pk=locked.pk, review=FollowUp.Review.PENDING
    )
    if not waiting.exists():  # a team that stopped reviewing released it
        raise ValidationError("This follow-up is not waiting for a review.")
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError({"comment": "Say what to change before it goes out."})
    if len(comment) > 500 or (draft is not None and len(draft) > 10_000):
        raise ValidationError("Keep the comment under 500 and the draft under 10,000 characters.")
    if draft is not None and draft != locked.draft:
        locked.draft = draft
    locked.review = FollowUp.Review.APPROVED if approve else FollowUp.Review.SENT_BACK
    locked.review_comment = comment
    locked.reviewed_by = actor
    locked.save(update_fields=["draft", "review", "review_comment", "reviewed_by"])
    action = "approved" if approve else "sent back"
    _followup_event(locked, action, by=actor, note=comment)
    if not approve:
        _tell_about_review(locked, locked.owner, "Sent back for rework", comment)
    return locked


@transaction.atomic
def followup_revise(*, actor: User, follow_up: FollowUp, draft: str, purpose: str) -> FollowUp:
    """The rep reworks a draft; where the team reviews drafts, it goes back for review."""
    locked = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("account", "owner__team__manager")
        .get(pk=follow_up.pk)
    )
    if not prospect_selectors.can_edit_account(actor, locked.account):
        raise ValidationError("This follow-up is read-only for you.")
    if locked.status != FollowUp.Status.HELD:
        raise ValidationError("Only a held follow-up can be reworked.")
    purpose = purpose.strip()
    if not purpose or len(purpose) > 300 or len(draft) > 10_000:
        raise ValidationError(
            {"purpose": "Say what it will accomplish (up to 300 characters); drafts up to 10,000."}
        )
    locked.draft, locked.purpose = draft, purpose
    if locked.review in {FollowUp.Review.SENT_BACK, FollowUp.Review.APPROVED}:
        locked.review = FollowUp.Review.PENDING
    locked.save(update_fields=["draft", "purpose", "review"])
    _followup_event(locked, "reworked", by=actor)
    if locked.review == FollowUp.Review.PENDING and locked.owner.team is not None:
        _tell_about_review(locked, locked.owner.team.manager, "A draft to review", locked.purpose)
    return locked
