"""An import is written whole or not at all: small files at once, big ones on a real
worker, each claimed by one run only (a redelivery reclaims an abandoned one)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from prospects.importing import services
from prospects.models import Account, AccountEvent, AccountImport, Contact
from tests.factories import SegmentFactory
from tests.prospects.importing.csvfiles import GOOD, HEADER, upload

pytestmark = pytest.mark.django_db


@pytest.mark.django_db
def test_small_file_imports_at_once(client, rep, segments):
    client.force_login(rep)
    response = upload(client, GOOD.format(rep=rep.username))
    assert response.status_code == 302
    job = AccountImport.objects.get()
    assert job.status == "done"
    assert (job.accounts_created, job.contacts_created) == (2, 2)
    kestrel = Account.objects.get(name="Kestrel Components")
    assert kestrel.website == "https://kestrel.example"
    assert kestrel.owner == rep
    assert sorted(kestrel.contacts.values_list("buying_role", flat=True)) == ["blocker", "champion"]
    assert Account.objects.get(name="Hillside Primary").status == "customer"
    assert AccountEvent.objects.filter(kind="created").count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Added 2 accounts and 2 contacts." in page


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_large_file_runs_on_the_worker_with_progress(
    client, rep, segments, celery_worker_thread, settings
):
    settings.SALESFLOW_IMPORT_ASYNC_ROWS = 1000
    rows = "".join(f"Account {n},,Schools,,,Person {n},,p{n}@x.example,user\n" for n in range(1500))
    client.force_login(rep)
    response = upload(client, HEADER + rows)
    url = response["Location"]
    job = AccountImport.objects.get()
    assert job.total_rows == 1500
    first = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in first or "Imported" in first
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status not in {"queued", "running"}:
            break
        time.sleep(0.2)
    assert job.status == "done", job.errors
    assert Account.objects.count() == 1500
    assert Contact.objects.count() == 1500
    final = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Added 1500 accounts and 1500 contacts." in final
    assert "every 1s" not in final  # polling stops once the import has finished


@pytest.mark.django_db
def test_a_second_delivery_of_the_task_does_nothing(rep, segments):
    job = AccountImport.objects.create(
        uploaded_by=rep, file_name="a.csv", content=HEADER + "A,,,,,,,,\n", total_rows=1
    )
    services.account_import_run(import_id=job.pk)
    services.account_import_run(import_id=job.pk)
    assert Account.objects.count() == 1


def test_an_import_abandoned_by_a_dead_worker_is_reclaimed_on_redelivery(rep):
    job = AccountImport.objects.create(
        uploaded_by=rep,
        file_name="a.csv",
        content="account_name\nA\n",
        total_rows=1,
        status="running",
        started_at=timezone.now() - timedelta(seconds=services.IMPORT_TIME_LIMIT + 1),
    )
    services.account_import_run(import_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done"
    assert Account.objects.filter(name="A").exists()


def test_a_live_import_is_not_claimed_twice(rep):
    job = AccountImport.objects.create(
        uploaded_by=rep,
        file_name="a.csv",
        content="account_name\nA\n",
        total_rows=1,
        status="running",
        started_at=timezone.now(),
    )
    services.account_import_run(import_id=job.pk)
    assert not Account.objects.exists()


def test_an_export_can_be_imported_again(client, rep, account):
    SegmentFactory(name=account.segment.name)
    client.force_login(rep)
    exported = b"".join(client.get(reverse("prospects:account_export")).streaming_content).decode()
    exported = exported.replace(account.name, "Copy of the account")
    response = upload(client, exported)
    assert response.status_code == 302
    assert AccountImport.objects.get().status == "done", AccountImport.objects.get().errors
    copy = Account.objects.get(name="Copy of the account")
    assert (copy.owner, copy.segment) == (rep, account.segment)
