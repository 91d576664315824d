"""Writes for the Sequence of Events: starting it, its steps (added, edited, reordered, done,
skipped, reopened — status moves checked against SoeStep.TRANSITIONS), how the prospect
received it, and the private calendar feed."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pipeline.deals import access as deal_access
from pipeline.deals.models import Opportunity
from pipeline.deals.services import opportunities_unstick
from pipeline.followups.models import PatienceRule
from pipeline.followups.services import PURPOSE_AFTER_STEP, clean_reason, followup_propose
from pipeline.soe import access as soe_access
from pipeline.soe.models import CalendarFeed, SoeChange, SoeStep, SoeTemplate
from pipeline.soe.models import Sequence as SoeSequence
from salesflow.core import transitions
from salesflow.core.fields import DATE_RANGE_MESSAGE, EARLIEST_DATE, in_date_range
from salesflow.core.models import User
from salesflow.core.services import model_update
from salesflow.core.webhooks.events import webhook_event

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


def _check_soe_access(actor: User, sequence: SoeSequence) -> None:
    if not soe_access.can_edit_soe(actor, sequence):
        raise ValidationError("This deal's Sequence of Events is read-only for you.")


def _record(
    sequence: SoeSequence,
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
        if value is not None and not in_date_range(value):
            errors[field] = DATE_RANGE_MESSAGE
    if step.proposed_on and step.proposed_on > timezone.localdate():
        errors["proposed_on"] = "A step cannot have been proposed in the future."
    if len(step.notes) > 2000:
        errors["notes"] = "Keep the notes under 2,000 characters."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def soe_start(
    *, actor: User, opportunity: Opportunity, template: SoeTemplate | None = None
) -> SoeSequence:
    """Open the deal's SOE, blank or seeded from a template (whose steps are then the
    rep's to change: nothing ties them to the template afterwards)."""
    if not deal_access.can_edit_opportunity(actor, opportunity):
        raise ValidationError("This deal is read-only for you.")
    sequence, created = SoeSequence.objects.get_or_create(
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
    *, actor: User, sequence: SoeSequence, position: int | None = None, **fields: object
) -> SoeStep:
    """Add a step at `position` (0 = first), or at the end; later steps move down."""
    _check_soe_access(actor, sequence)
    unknown = set(fields) - set(STEP_FIELDS)
    if unknown:
        raise TypeError(f"soe_step_add cannot set {', '.join(sorted(unknown))}")
    # Lock the SOE so two people adding steps at once cannot take the same place.
    SoeSequence.objects.select_for_update().get(pk=sequence.pk)
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
    def check(locked: SoeStep, data: dict[str, object]) -> None:
        _check_soe_access(actor, locked.sequence)
        if locked.first_target_date is None:
            data["first_target_date"] = data.get("target_date", locked.target_date)

    locked, changed = model_update(
        instance=step,
        fields=STEP_FIELDS,
        data=changes,
        check=check,
        validate=_check_step,
        related=["sequence__opportunity__owner"],
        exclude=["sequence"],
    )
    if "target_date" in changed:
        old_date = changed["target_date"]
        _record(
            locked.sequence,
            actor,
            SoeChange.Action.DATE_MOVED,
            f"{locked.text}: {old_date or 'no date'} → {locked.target_date or 'no date'}",
            step=locked,
            old_target_date=old_date,
        )
    others = [field for field in changed if field not in {"target_date", "first_target_date"}]
    if others:
        labels = ", ".join(str(SoeStep._meta.get_field(f).verbose_name) for f in others)
        _record(
            locked.sequence, actor, SoeChange.Action.EDITED, f"{locked.text}: {labels}", step=locked
        )
    return locked


@transaction.atomic
def soe_reorder(*, actor: User, sequence: SoeSequence, step_ids: list[int]) -> None:
    """Put the steps in the given order; the list must name every step of this SOE once."""
    _check_soe_access(actor, sequence)
    SoeSequence.objects.select_for_update().get(pk=sequence.pk)
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
    """Move a step to `to` with a conditional UPDATE from the statuses the table allows
    (SoeStep.TRANSITIONS): of two clicks, one counts."""
    allowed = transitions.sources(SoeStep.TRANSITIONS, to)
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
    webhook_event("soe_step.done", done, actor=actor)
    return done


@transaction.atomic
def soe_step_skip(*, actor: User, step: SoeStep, reason: str) -> SoeStep:
    reason = clean_reason(reason, "Say why the step is skipped")
    skipped = _transition(
        actor=actor,
        step=step,
        to=SoeStep.Status.SKIPPED,
        action=SoeChange.Action.SKIPPED,
        summary=f"{step.text}: {reason}",
        skip_reason=reason,
        done_on=None,
    )
    webhook_event("soe_step.skipped", skipped, actor=actor)
    return skipped


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
    *, actor: User, sequence: SoeSequence, reception: str, note: str = ""
) -> SoeSequence:
    """How the prospect received the SOE: a lukewarm or declined one is a warning sign."""

    def check(locked: SoeSequence, data: dict[str, object]) -> None:
        _check_soe_access(actor, locked)
        if reception not in SoeSequence.Reception.values:
            raise ValidationError({"reception": "Pick how they received it."})
        if len(note) > 2000:
            raise ValidationError({"note": "Keep the note under 2,000 characters."})

    # Recorded again even when it reads the same: when they said so is news too.
    locked, _ = model_update(
        instance=sequence,
        fields=["reception", "reception_note", "reception_at"],
        data={
            "reception": reception,
            "reception_note": note.strip(),
            "reception_at": timezone.now(),
        },
        check=check,
        related=["opportunity__owner"],
    )
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
