"""The CSV import's writes: keep the upload, take its column mapping, check every row, then
write it all in one transaction or nothing at all. Small files run at once, large ones on a
worker (tasks.py). What a row means and does is its kind's (kinds.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from prospects.importing import accounts as _accounts  # noqa: F401 - registers its kind
from prospects.importing import csvfile, kinds
from prospects.models import AccountImport, ImportMapping, ImportMode
from salesflow.core.audit.context import IMPORT, audit_context
from salesflow.core.models import User


def mapping_for(*, actor: User, kind: str, headers: list[str]) -> tuple[dict[str, str], str]:
    """The mapping and mode to propose for a file: the user's latest saved mapping for these
    very headers, or else a guess from the headers' names."""
    saved = (
        ImportMapping.objects.filter(owner=actor, kind=kind, headers=headers)
        .order_by("-updated_at", "-pk")
        .first()
    )
    if saved is not None:
        return {header: saved.mapping.get(header, "") for header in headers}, saved.mode
    return kinds.guess(kinds.check_kind(kind), headers), ImportMode.BOTH


@transaction.atomic
def account_import_upload(
    *, actor: User, file_name: str, content: str, kind: str = "accounts"
) -> AccountImport:
    """Keep the upload until its columns are mapped (account_import_confirm)."""
    kinds.check_kind(kind)
    total = csvfile.count_rows(content)  # raises ImportFileError for an unreadable file
    if total == 0:
        raise csvfile.ImportFileError("The file has a header but no rows.")
    headers = csvfile.read_header(content)
    mapping, mode = mapping_for(actor=actor, kind=kind, headers=headers)
    return AccountImport.objects.create(
        uploaded_by=actor,
        file_name=file_name[:200],
        content=content,
        total_rows=total,
        kind=kind,
        mapping=mapping,
        mode=mode,
        status=AccountImport.Status.MAPPING,
    )


@transaction.atomic
def account_import_confirm(
    *,
    actor: User,
    job: AccountImport,
    mapping: dict[str, str],
    mode: str,
    save_as: str = "",
) -> AccountImport:
    """Set the mapping and the mode, keep the mapping under a name if asked, and run the
    import now when small, or hand it to a worker when large."""
    kind = kinds.check_kind(job.kind)
    headers = csvfile.read_header(job.content)
    kinds.check_mapping(kind, headers, mapping)
    if mode not in ImportMode.values:
        raise ValidationError({"mode": "Pick create, update or both."})
    save_as = save_as.strip()
    if save_as:
        if len(save_as) > 80:
            raise ValidationError({"save_as": "Keep the name under 80 characters."})
        ImportMapping.objects.update_or_create(
            owner=actor,
            kind=job.kind,
            name=save_as,
            defaults={"headers": headers, "mapping": mapping, "mode": mode},
        )
    # Guarded: a second click of "Import" (or a second tab) finds nothing left to confirm.
    confirmed = AccountImport.objects.filter(
        pk=job.pk, uploaded_by=actor, status=AccountImport.Status.MAPPING
    ).update(status=AccountImport.Status.QUEUED, mapping=mapping, mode=mode)
    if not confirmed:
        raise ValidationError("This import has already been started.")
    if job.total_rows >= settings.SALESFLOW_IMPORT_ASYNC_ROWS:
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
    try:
        kind = kinds.check_kind(job.kind)
        # A job queued before mappings existed (or made by hand) reads its headers as named.
        mapping = job.mapping or kinds.guess(kind, csvfile.read_header(job.content))
        checked = kind.check(
            csvfile.mapped_rows(job.content, mapping),
            actor=actor,
            mode=job.mode,
            mapped={name for name in mapping.values() if name},
            progress=lambda n: cache.set(key, n // 2, 3600),
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
        try:
            with (
                audit_context(door=IMPORT, detail=str(job.pk), user=actor.pk),
                transaction.atomic(),
            ):
                counts = kind.write(
                    actor=actor,
                    checked=checked,
                    on_batch=lambda n: cache.set(key, job.total_rows // 2 + n // 2, 3600),
                )
        except csvfile.RowErrors as refused:  # raised inside the transaction: all rolled back
            _finish_import(
                job,
                AccountImport.Status.INVALID,
                errors=refused.errors[: csvfile.MAX_ERRORS],
                error_count=len(refused.errors),
            )
            return
        job.counts = counts
        job.accounts_created = counts.get("accounts", {}).get("created", 0)
        job.contacts_created = counts.get("contacts", {}).get("created", 0)
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
        update_fields=[
            "status",
            "errors",
            "accounts_created",
            "contacts_created",
            "counts",
            "finished_at",
        ]
    )


IMPORT_BATCH = 1000
# Imports get a time limit of their own: 100,000 rows take minutes, not the seconds an
# ordinary background job is allowed.
IMPORT_TIME_LIMIT = 1800
