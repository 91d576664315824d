"""An import's rows are recorded as created "by import #N", for whoever uploaded it, both
when it runs at once and on a real worker."""

from __future__ import annotations

import time

import pytest

from prospects.models import Account, AccountImport, Contact
from salesflow.core.audit.selectors import object_history
from tests.prospects.importing.csvfiles import GOOD, HEADER, upload


def _created(obj):
    [change] = object_history(obj)[0]
    assert change.action == "created"
    return change


@pytest.mark.django_db
def test_an_import_run_at_once_records_its_rows_as_by_the_import(client, rep, segments):
    client.force_login(rep)
    upload(client, GOOD.format(rep=rep.username))
    job = AccountImport.objects.get()

    kestrel = Account.objects.get(name="Kestrel Components")
    change = _created(kestrel)
    assert (change.actor, change.door, change.door_detail) == (rep, "import", str(job.pk))
    assert change.door_label == f"by import #{job.pk}"
    assert ("name", "—", "Kestrel Components") in [(f.name, f.old, f.new) for f in change.fields]
    lars = Contact.objects.get(name="Lars Berg")
    assert _created(lars).door_detail == str(job.pk)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_import_on_the_worker_records_the_import_and_its_uploader(
    client, rep, segments, celery_worker_thread, settings
):
    settings.SALESFLOW_IMPORT_ASYNC_ROWS = 5
    rows = "".join(f"Account {n},,Schools,,,Person {n},,p{n}@x.example,user\n" for n in range(6))
    client.force_login(rep)
    upload(client, HEADER + rows)
    job = AccountImport.objects.get()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status not in {"queued", "running"}:
            break
        time.sleep(0.2)
    assert job.status == "done", job.errors

    for account in Account.objects.all():
        change = _created(account)
        assert (change.actor, change.door, change.door_detail) == (rep, "import", str(job.pk))
