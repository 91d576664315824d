"""Reads for the bulk edit's progress and summary page."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.bulkedit.models import BulkEdit, BulkEditRow

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
