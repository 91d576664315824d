"""Bulk edits of deals: each deal goes through the same service as an edit of that one deal
(access checked again, its rules applied, its refusal kept word for word), one transaction
per batch of deals. Small selections run in the request; larger ones on a worker (tasks.py).

Exactly once: a deal's result row is written in the transaction of the deal's change (a
batch of deals shares one, each deal in a savepoint of its own), and a run holds the job
under a lease it renews with every batch. A run whose worker dies stops renewing; the next
run (the broker's redelivery, or the resume sweep) takes the job over and skips every deal
that already has a result, so no change is lost and none is made twice.

Ids the actor cannot see are refused as "not found", with the same words as an id of no
deal at all, and are counted among the refused: the summary then adds up to the selection,
and says no more about such a deal than a 404 would.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from pipeline.bulkedit.forms import ACTION_FORMS
from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from pipeline.deals import access as deal_access
from pipeline.deals import services as deal_services
from pipeline.deals.models import CloseReason, Opportunity, Stage
from salesflow.core.audit.context import audit_context
from salesflow.core.fields import whole_number
from salesflow.core.models import User

logger = logging.getLogger(__name__)

Outcome = BulkEditRow.Outcome
# What a deal the actor cannot see, and an id of no deal, are both answered.
NOT_FOUND = "Not found: no such deal, or not one you can see."
READ_ONLY = "This deal is read-only for you."
UNEXPECTED = "Not changed: something went wrong on our side. Try this deal on its own."

# An edit of one deal: (outcome, message), or a ValidationError whose words are the refusal.
Edit = Callable[[Opportunity], tuple[str, str]]


def _deal_ids(ids: Iterable[object]) -> list[int]:
    """The picked ids as whole numbers, each once, in the order picked."""
    picked: dict[int, None] = {}
    for value in ids:
        number = whole_number(value)
        if number is None:
            raise ValidationError("Some of the picked rows are not deals; reload the page.")
        picked[number] = None
        if len(picked) > settings.SALESFLOW_BULK_EDIT_MAX_ROWS:
            raise ValidationError(
                f"Pick at most {settings.SALESFLOW_BULK_EDIT_MAX_ROWS:,} deals at a time; "
                "narrow the filters."
            )
    if not picked:
        raise ValidationError("Tick at least one deal.")
    return list(picked)


def bulk_edit_start(
    *, actor: User, action: str, params: Mapping[str, Any], ids: Iterable[object]
) -> BulkEdit:
    """Check the action's parameters once, keep the job, and run it now when small, or hand
    it to a worker. Raises ValidationError (nothing kept) for parameters or a selection that
    cannot be used; refusals of single deals are the job's results, not errors."""
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise ValidationError({"action": "Choose what to change."})
    form = form_class(data=params, actor=actor)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    deal_ids = _deal_ids(ids)
    with transaction.atomic():
        job = BulkEdit.objects.create(
            actor=actor,
            action=action,
            params=form.params(),
            deal_ids=deal_ids,
            total=len(deal_ids),
        )
        on_worker = len(deal_ids) > settings.SALESFLOW_BULK_EDIT_ASYNC_ROWS
        if on_worker:
            from pipeline.bulkedit.tasks import run_bulk_edit  # the task calls this module

            run_bulk_edit.delay_on_commit(job.pk)
    if not on_worker:
        bulk_edit_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def _lease() -> timedelta:
    return timedelta(seconds=settings.SALESFLOW_BULK_EDIT_LEASE_SECONDS)


# Deals changed in one transaction, each in a savepoint of its own. One commit a deal spent
# most of a run waiting on the disk (each commit is a flush of the log); twenty share one,
# and a worker's death takes back at most twenty deals' changes, with their results.
BATCH = 20


def bulk_edit_run(*, job_id: int) -> None:
    """Apply the job to each of its deals not done yet, a batch at a time."""
    token = uuid.uuid4()
    now = timezone.now()
    # Claimed by one run at a time: a queued job, or a running one whose run stopped renewing
    # its lease (its worker died). A second delivery of a live job claims nothing.
    claimed = BulkEdit.objects.filter(
        Q(status=BulkEdit.Status.QUEUED) | Q(status=BulkEdit.Status.RUNNING, lease_until__lt=now),
        pk=job_id,
    ).update(
        status=BulkEdit.Status.RUNNING,
        lease_token=token,
        lease_until=now + _lease(),
        started_at=Coalesce(F("started_at"), now),
    )
    if not claimed:
        return
    job = BulkEdit.objects.select_related("actor").get(pk=job_id)
    done = set(job.rows.values_list("deal_id", flat=True))
    pending = [deal_id for deal_id in job.deal_ids if deal_id not in done]
    edit = _edit_for(job)
    # In the audit history each change reads "by <actor>", with the job's number beside the
    # door it came through (the page, or the worker's task).
    with audit_context(user=job.actor_id, detail=f"bulk edit #{job.pk}"):
        for start in range(0, len(pending), BATCH):
            if not _apply_batch(job, token, pending[start : start + BATCH], edit):
                return  # another run holds the job now; it carries on from here
    BulkEdit.objects.filter(pk=job_id, lease_token=token).update(
        status=BulkEdit.Status.DONE, finished_at=timezone.now(), lease_token=None, lease_until=None
    )


def _apply_batch(job: BulkEdit, token: uuid.UUID, deal_ids: list[int], edit: Edit) -> bool:
    """Each deal's change with its result row, together or not at all. False when the job's
    lease has passed to another run: then nothing is done here."""
    with transaction.atomic():
        # The job row's lock makes the lease check and the results one step: a run that lost
        # its lease cannot write a result after the run that took over has read the done ones.
        holder = (
            BulkEdit.objects.select_for_update()
            .filter(pk=job.pk, lease_token=token)
            .values_list("pk", flat=True)
        )
        if not holder:
            return False
        visible = deal_access.opportunities_visible_to(job.actor).select_related(
            "account", "stage", "owner"
        )
        deals = visible.in_bulk(deal_ids)
        rows = [_apply_one(job, deal_id, deals.get(deal_id), edit) for deal_id in deal_ids]
        BulkEditRow.objects.bulk_create(rows)
        counts = Counter(row.outcome for row in rows)
        BulkEdit.objects.filter(pk=job.pk).update(
            **{f"{outcome}_count": F(f"{outcome}_count") + n for outcome, n in counts.items()},
            lease_until=timezone.now() + _lease(),
        )
    return True


def _apply_one(job: BulkEdit, deal_id: int, deal: Opportunity | None, edit: Edit) -> BulkEditRow:
    """One deal's change (in a savepoint) and its result, to be saved with it."""
    label = f"{deal.account.name} — {deal.name}" if deal is not None else ""
    if deal is None:
        outcome, message = Outcome.REFUSED, NOT_FOUND
    elif not deal_access.can_edit_opportunity(job.actor, deal):
        outcome, message = Outcome.REFUSED, READ_ONLY
    else:
        try:
            # A savepoint: a refusal takes back this deal's part, never the others'.
            with transaction.atomic():
                outcome, message = edit(deal)
        except ValidationError as error:
            outcome, message = Outcome.REFUSED, " ".join(error.messages)
        except Exception:
            logger.exception("bulk edit %s: deal %s failed", job.pk, deal_id)
            outcome, message = Outcome.REFUSED, UNEXPECTED
    return BulkEditRow(
        job_id=job.pk,
        deal_id=deal_id,
        outcome=outcome,
        label=label[:400],
        message=message[:500],
        at=timezone.now(),
    )


# --- The actions: each deal through the single edit's service ----------------------------


def _edit_for(job: BulkEdit) -> Edit:
    """The job's action as an edit of one deal, its parameters read once."""
    actor, params = job.actor, job.params
    if job.action == BulkEdit.Action.OWNER:
        owner = User.objects.filter(pk=params["owner"]).first()
        return lambda deal: _change_owner(actor, deal, owner)
    if job.action == BulkEdit.Action.MOVE:
        stage = Stage.objects.filter(pk=params["stage"]).first()
        return lambda deal: _move(actor, deal, stage, params.get("note", ""))
    if job.action == BulkEdit.Action.CLOSE_DATE:
        when = date.fromisoformat(params["expected_close_date"])
        return lambda deal: _set_close_date(actor, deal, when)
    if job.action == BulkEdit.Action.CLOSE_LOST:
        reason = CloseReason.objects.filter(pk=params["reason"]).first()
        lost_stages: dict[int, Stage | None] = {}

        def close(deal: Opportunity) -> tuple[str, str]:
            if deal.pipeline_id not in lost_stages:
                lost_stages[deal.pipeline_id] = (
                    Stage.objects.filter(pipeline_id=deal.pipeline_id, outcome=Stage.Outcome.LOST)
                    .order_by("position", "pk")
                    .first()
                )
            return _close_lost(actor, deal, lost_stages[deal.pipeline_id], reason, params)

        return close
    raise ValueError(f"no such bulk action: {job.action}")


def _change_owner(actor: User, deal: Opportunity, owner: User | None) -> tuple[str, str]:
    if owner is None:
        raise ValidationError("The new owner picked no longer exists.")
    name = owner.get_full_name() or owner.username
    if deal.owner_id == owner.pk:
        return Outcome.UNCHANGED, f"Already owned by {name}."
    deal_services.opportunity_update(actor=actor, opportunity=deal, owner=owner)
    return Outcome.CHANGED, f"Now owned by {name}."


def _move(actor: User, deal: Opportunity, stage: Stage | None, note: str) -> tuple[str, str]:
    if stage is None:
        raise ValidationError("The stage picked no longer exists.")
    if deal.stage_id == stage.pk:
        return Outcome.UNCHANGED, f"Already in {stage.name}."
    was = deal.stage.name
    deal_services.opportunity_move_stage(actor=actor, opportunity=deal, to_stage=stage, note=note)
    return Outcome.CHANGED, f"Moved from {was} to {stage.name}."


def _set_close_date(actor: User, deal: Opportunity, when: date) -> tuple[str, str]:
    shown = when.strftime("%-d %b %Y")
    if deal.expected_close_date == when:
        return Outcome.UNCHANGED, f"Already expected to close on {shown}."
    deal_services.opportunity_update(actor=actor, opportunity=deal, expected_close_date=when)
    return Outcome.CHANGED, f"Expected to close on {shown}."


def _close_lost(
    actor: User,
    deal: Opportunity,
    lost: Stage | None,
    reason: CloseReason | None,
    params: Mapping[str, Any],
) -> tuple[str, str]:
    if reason is None:
        raise ValidationError("The reason picked no longer exists.")
    if deal.stage.outcome == Stage.Outcome.LOST:
        return Outcome.UNCHANGED, f"Already closed in {deal.stage.name}."
    if deal.stage.outcome == Stage.Outcome.WON:
        # Turning a win into a loss is a decision about one deal, not a selection.
        raise ValidationError("This deal was won; open it to change that.")
    if lost is None:
        raise ValidationError("Its pipeline has no stage for lost deals.")
    deal_services.opportunity_move_stage(
        actor=actor, opportunity=deal, to_stage=lost, reason=reason, note=params.get("note", "")
    )
    return Outcome.CHANGED, f"Closed in {lost.name}: {reason.name}."


def bulk_edits_resume(*, now: Any = None, limit: int = 100) -> list[int]:
    """The unfinished jobs that no run holds: queued for over a lease (the task was lost,
    e.g. the broker was down at the commit) or running with a lapsed lease (the worker
    died). Their ids, for the sweep to hand to workers again; the run's claim decides."""
    now = now or timezone.now()
    stale = Q(status=BulkEdit.Status.QUEUED, created_at__lt=now - _lease()) | Q(
        status=BulkEdit.Status.RUNNING, lease_until__lt=now
    )
    return list(BulkEdit.objects.filter(stale).order_by("pk").values_list("pk", flat=True)[:limit])
