"""CSV import: checked first, written whole or not at all, big files on a real worker."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospects.models import Account, AccountEvent, AccountImport, Contact
from tests.factories import SegmentFactory

COLUMNS = """account_name website segment owner status
contact_name contact_title contact_email contact_role"""
HEADER = ",".join(COLUMNS.split()) + "\n"
GOOD = (
    HEADER
    + "Kestrel Components,kestrel.example,Manufacturers,{rep},prospect,"
    + "Lars Berg,Plant Manager,lars@k.example,champion\n"
    + "Kestrel Components,,Manufacturers,{rep},prospect,Sofia Marin,Finance Director,,Blocker\n"
    + "Hillside Primary,,Schools,,customer,,,,\n"
)


def upload(client, text: str, name: str = "accounts.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("prospects:account_import"), {"file": file})


@pytest.fixture
def segments(db):
    return [SegmentFactory(name="Manufacturers"), SegmentFactory(name="Schools")]


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


@pytest.mark.django_db
def test_any_bad_row_means_a_report_and_nothing_written(client, rep, outsider, segments):
    client.force_login(rep)
    text = GOOD.format(rep=rep.username) + (
        f"Bad Co,not a url,Nowhere,{outsider.username},disqualified,,Boss,,\n"
        "Other Co,,,,,Jo,,not-an-email,hero\n"
    )
    response = upload(client, text)
    job = AccountImport.objects.get()
    assert job.status == "invalid"
    problems = {(error["row"], error["column"]) for error in job.errors}
    assert problems == {
        (5, "website"),
        (5, "segment"),
        (5, "owner"),
        (5, "disqualified_reason"),
        (5, "contact_name"),
        (6, "contact_email"),
        (6, "contact_role"),
    }
    assert not Account.objects.exists()
    assert not Contact.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was imported" in page
    assert "“Nowhere” is not one of sales ops&#x27; list." in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The submitted file is empty."),
        ("name,city\nA,B\n", "must name the columns, including account_name"),
        ("account_name,colour\nA,red\n", "Unknown columns: colour"),
        ("account_name\n", "has a header but no rows"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(client, rep, text, message):
    client.force_login(rep)
    response = upload(client, text)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not AccountImport.objects.exists()


@pytest.mark.django_db
def test_binary_and_non_utf8_files_are_refused(client, rep):
    client.force_login(rep)
    file = SimpleUploadedFile("x.csv", "account_name\nCafé\n".encode("latin-1"))
    assert (
        "Save the file as UTF-8"
        in client.post(reverse("prospects:account_import"), {"file": file}).content.decode()
    )
    file = SimpleUploadedFile("x.csv", b"account_name\nA\x00B\n")
    assert (
        "binary file"
        in client.post(reverse("prospects:account_import"), {"file": file}).content.decode()
    )


@pytest.mark.django_db
def test_import_report_is_the_uploaders_own(client, rep, teammate, outsider, segments):
    client.force_login(rep)
    url = upload(client, GOOD.format(rep=rep.username))["Location"]
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404


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
    from prospects import services

    job = AccountImport.objects.create(
        uploaded_by=rep, file_name="a.csv", content=HEADER + "A,,,,,,,,\n", total_rows=1
    )
    services.account_import_run(import_id=job.pk)
    services.account_import_run(import_id=job.pk)
    assert Account.objects.count() == 1


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=400), st.text(max_size=400).map(lambda t: (HEADER + t).encode())
    )
)
def test_any_upload_gets_an_answer_never_a_server_error(client, rep, content):
    client.force_login(rep)
    before = Account.objects.count()
    response = client.post(
        reverse("prospects:account_import"), {"file": SimpleUploadedFile("f.csv", content)}
    )
    assert response.status_code in {302, 422}
    if response.status_code == 302:
        job = AccountImport.objects.latest("pk")
        assert job.status in {"done", "invalid"}
        if job.status == "invalid":
            assert Account.objects.count() == before
