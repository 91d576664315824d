"""Reads for the bulk edit's progress and summary page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.dateformat import format as format_date

from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from pipeline.deals.models import CloseReason, Stage
from salesflow.core.models import User

ROWS_PER_PAGE = 100


@dataclass
class RowsPage:
    outcome: str
    rows: list[BulkEditRow]
    next_after: int | None  # the last row's id when there are more: the keyset's cursor


def bulk_edit_rows(*, job: BulkEdit, outcome: str, after: int | None = None) -> RowsPage:
    """One page of the job's results of one outcome, in the order they were made."""
    rows = job.rows.filter(outcome=outcome).order_by("pk")
    if after is not None:
        rows = rows.filter(pk__gt=after)
    found = list(rows[: ROWS_PER_PAGE + 1])
    more = len(found) > ROWS_PER_PAGE
    found = found[:ROWS_PER_PAGE]
    return RowsPage(outcome=outcome, rows=found, next_after=found[-1].pk if more else None)


def bulk_edit_description(*, job: BulkEdit) -> str:
    """What the job does, in words: "Move to Standard: Evaluation"."""
    params, Action = job.params, BulkEdit.Action
    if job.action == Action.OWNER:
        owner = User.objects.filter(pk=params.get("owner")).first()
        return f"Give to {owner.get_full_name() or owner.username}" if owner else "Change owner"
    if job.action == Action.MOVE:
        stage = Stage.objects.select_related("pipeline").filter(pk=params.get("stage")).first()
        return f"Move to {stage}" if stage else "Move to a stage"
    if job.action == Action.CLOSE_DATE:
        when = date.fromisoformat(params["expected_close_date"])
        return f"Expected to close on {format_date(when, 'j M Y')}"
    reason = CloseReason.objects.filter(pk=params.get("reason")).first()
    return f"Close as lost: {reason.name}" if reason else "Close as lost"
