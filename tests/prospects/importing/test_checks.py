"""Every row of an upload is checked first: any problem is a report with nothing written,
and a file that cannot be read says why."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospects.models import Account, AccountImport, Contact
from tests.prospects.importing.csvfiles import GOOD, HEADER, confirm, upload

pytestmark = pytest.mark.django_db


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
        (",\nA,B\n", "The first line must name the columns."),
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


def test_import_refuses_ragged_rows_and_doubled_columns(client, rep):
    client.force_login(rep)
    assert (
        "has 3 cells but the header names 2"
        in upload(client, "account_name,website\nA,b.example,extra\n").content.decode()
    )
    assert (
        "Columns named twice: website"
        in upload(client, "account_name,website,website\nA,,\n").content.decode()
    )
    assert not AccountImport.objects.exists()


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
        assert job.status == "mapping"
        assert confirm(client, job).status_code in {302, 422}
        job.refresh_from_db()
        if job.status == "mapping":  # the proposed mapping lacks an account name column
            assert Account.objects.count() == before
            return
        assert job.status in {"done", "invalid"}
        if job.status == "invalid":
            assert Account.objects.count() == before
