"""The CSV import's writes: keep the upload, check every row, then write it all in one
transaction or nothing at all. Small files run at once, large ones on a worker (tasks.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from prospects import access
from prospects.importing import csvfile
from prospects.models import Account, AccountEvent, AccountImport, Contact
from salesflow.core.audit.context import IMPORT, audit_context
from salesflow.core.models import User
from salesflow.core.webhooks.events import webhook_events_bulk


@transaction.atomic
def account_import_start(*, actor: User, file_name: str, content: str) -> AccountImport:
    """Keep the upload and run it now when small, or hand it to a worker when large."""
    total = csvfile.count_rows(content)  # raises ImportFileError for an unreadable file
    if total == 0:
        raise csvfile.ImportFileError("The file has a header but no rows.")
    job = AccountImport.objects.create(
        uploaded_by=actor, file_name=file_name[:200], content=content, total_rows=total
    )
    if total >= settings.SALESFLOW_IMPORT_ASYNC_ROWS:
        from prospects.importing.tasks import run_account_import  # the task calls this module

        run_account_import.delay_on_commit(job.pk)
    else:
        account_import_run(import_id=job.pk)
        job.refresh_from_db()
    return job


def account_import_run(*, import_id: int) -> None:
    """Check every row, then write all of it in one transaction, or nothing at all."""
    # Claimed by exactly one run: queued, or running for longer than the task's hard time
    # limit, which means the worker died mid-import (its transaction rolled back, nothing
    # was written) and this is the broker's redelivery. A second delivery of a live import
    # finds nothing to claim.
    now = timezone.now()
    abandoned = Q(
        status=AccountImport.Status.RUNNING,
        started_at__lt=now - timedelta(seconds=IMPORT_TIME_LIMIT),
    )
    claimed = AccountImport.objects.filter(
        Q(status=AccountImport.Status.QUEUED) | abandoned, pk=import_id
    ).update(status=AccountImport.Status.RUNNING, started_at=now)
    if not claimed:
        return
    job = AccountImport.objects.select_related("uploaded_by").get(pk=import_id)
    key = csvfile.progress_key(import_id)
    # Progress lives in the cache: rows written inside the import's transaction are not
    # visible to the page polling for progress until it commits.
    cache.set(key, 0, timeout=3600)
    actor = job.uploaded_by
    owners = {user.username: user for user in access.assignable_owners(actor)}
    try:
        checked = csvfile.check(
            job.content, owners=owners, actor=actor, progress=lambda n: cache.set(key, n // 2, 3600)
        )
        if checked.error_count:
            _finish_import(
                job,
                AccountImport.Status.INVALID,
                errors=checked.errors,
                error_count=checked.error_count,
            )
            return
        # Recorded in the audit history as "by import #12", for whoever uploaded it,
        # whether a worker or the upload's own request runs it.
        with audit_context(door=IMPORT, detail=str(job.pk), user=actor.pk), transaction.atomic():
            accounts, contacts = _write_import(
                actor,
                checked.rows,
                on_batch=lambda n: cache.set(key, job.total_rows // 2 + n // 2, 3600),
            )
        job.accounts_created, job.contacts_created = accounts, contacts
        _finish_import(job, AccountImport.Status.DONE)
    except csvfile.ImportFileError as exc:
        _finish_import(
            job,
            AccountImport.Status.INVALID,
            errors=[{"row": 0, "column": "", "message": str(exc)}],
            error_count=1,
        )
    except Exception:
        _finish_import(
            job,
            AccountImport.Status.FAILED,
            errors=[
                {
                    "row": 0,
                    "column": "",
                    "message": "The import stopped on an unexpected error; nothing was written.",
                }
            ],
            error_count=1,
        )
        raise
    finally:
        cache.delete(key)


def _finish_import(
    job: AccountImport, status: str, *, errors: list | None = None, error_count: int = 0
) -> None:
    job.status = status
    job.errors = errors or []
    if error_count > len(job.errors):
        job.errors.append(
            {
                "row": None,
                "column": "",
                "message": f"…and {error_count - len(job.errors)} more errors.",
            }
        )
    job.finished_at = timezone.now()
    job.save(
        update_fields=["status", "errors", "accounts_created", "contacts_created", "finished_at"]
    )


IMPORT_BATCH = 1000
# Imports get a time limit of their own: 100,000 rows take minutes, not the seconds an
# ordinary background job is allowed.
IMPORT_TIME_LIMIT = 1800


def _write_import(
    actor: User, rows: list[csvfile.ParsedRow], *, on_batch: object
) -> tuple[int, int]:
    """Bulk-create the accounts, their contacts and timeline entries."""
    now = timezone.now()
    first_rows: dict[str, csvfile.ParsedRow] = {}
    for row in rows:
        first_rows.setdefault(str(row.data["account_name"]), row)
    accounts: dict[str, Account] = {}
    names = list(first_rows)
    for start in range(0, len(names), IMPORT_BATCH):
        batch = []
        for name in names[start : start + IMPORT_BATCH]:
            data = first_rows[name].data
            batch.append(
                Account(
                    name=name,
                    website=data["website"],
                    segment_id=data["segment"],
                    lead_source_id=data["lead_source"],
                    owner=data["owner"],
                    status=data["status"],
                    disqualified_reason=data["disqualified_reason"]
                    if data["status"] == Account.Status.DISQUALIFIED
                    else "",
                )
            )
        for account in Account.objects.bulk_create(batch):
            accounts[account.name] = account
        on_batch(start + len(batch))  # type: ignore[operator]
    AccountEvent.objects.bulk_create(
        (
            AccountEvent(
                account=account,
                kind=AccountEvent.Kind.CREATED,
                occurred_at=now,
                actor=actor,
                summary="Imported from CSV",
            )
            for account in accounts.values()
        ),
        batch_size=IMPORT_BATCH,
    )
    contacts = [
        Contact(
            account=accounts[str(row.data["account_name"])],
            name=row.data["contact_name"],
            title=row.data["contact_title"],
            email=row.data["contact_email"],
            phone=row.data["contact_phone"],
            buying_role=row.data["contact_role"],
        )
        for row in rows
        if row.data["contact_name"]
    ]
    Contact.objects.bulk_create(contacts, batch_size=IMPORT_BATCH)
    # Told like accounts and contacts added one by one; a query each when nobody listens.
    webhook_events_bulk("account.created", Account, [a.pk for a in accounts.values()])
    webhook_events_bulk("contact.created", Contact, [contact.pk for contact in contacts])
    return len(accounts), len(contacts)
