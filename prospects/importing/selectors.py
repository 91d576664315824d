"""Reads for the CSV import's report page."""

from __future__ import annotations

from django.core.cache import cache

from prospects.importing.csvfile import progress_key
from prospects.models import AccountImport


def import_progress(*, job: AccountImport) -> int:
    """Rows processed so far, for the progress bar."""
    if job.status in {AccountImport.Status.DONE, AccountImport.Status.INVALID}:
        return job.total_rows
    return min(int(cache.get(progress_key(job.pk)) or 0), job.total_rows)
