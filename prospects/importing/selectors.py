"""Reads for the CSV import's pages."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from prospects.importing.csvfile import progress_key
from prospects.models import AccountImport, ImportMapping
from salesflow.core.models import User


def import_progress(*, job: AccountImport) -> int:
    """Rows processed so far, for the progress bar."""
    if job.status in {AccountImport.Status.DONE, AccountImport.Status.INVALID}:
        return job.total_rows
    return min(int(cache.get(progress_key(job.pk)) or 0), job.total_rows)


def saved_mappings(*, user: User, kind: str) -> QuerySet[ImportMapping]:
    return ImportMapping.objects.filter(owner=user, kind=kind).order_by("name", "pk")


def _counted(number: int, thing: str) -> str:
    return f"{number} {thing if number != 1 else thing.removesuffix('s')}"


def import_summary(*, job: AccountImport) -> list[dict[str, object]]:
    """A finished import's report, a line per thing: "Accounts: 3 created, 5 updated,
    12 unchanged"."""
    return [
        {
            "thing": thing,
            "created": counts.get("created", 0),
            "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0),
        }
        for thing, counts in (job.counts or {}).items()
    ]


def added_sentence(*, job: AccountImport) -> str:
    """'Added 2 accounts and 2 contacts.' from the counts of what was created."""
    parts = [_counted(c.get("created", 0), thing) for thing, c in (job.counts or {}).items()]
    if not parts:
        parts = [
            _counted(job.accounts_created, "accounts"),
            _counted(job.contacts_created, "contacts"),
        ]
    return "Added " + " and ".join(parts) + "."
