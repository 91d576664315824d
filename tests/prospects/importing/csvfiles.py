"""CSV files for the import tests, and uploading one: the upload, then the mapping screen
sent with what it proposes (or the columns given), as a user who only presses "Import"."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from prospects.importing.csvfile import read_header
from prospects.models import AccountImport

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


def send_file(client, text: str | bytes, name: str = "accounts.csv", kind: str = "accounts"):
    content = text.encode("utf-8") if isinstance(text, str) else text
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse("prospects:account_import"), {"file": file, "kind": kind})


def mapping_data(job: AccountImport, *, mode: str | None = None, columns=None, save_as=""):
    headers = read_header(job.content)
    chosen = {**job.mapping, **(columns or {})}
    data = {f"col_{index}": chosen.get(header, "") for index, header in enumerate(headers)}
    return {**data, "mode": mode or job.mode, "save_as": save_as}


def confirm(client, job: AccountImport, **options):
    url = reverse("prospects:account_import_mapping", args=[job.pk])
    return client.post(url, mapping_data(job, **options))


def upload(client, text: str, name: str = "accounts.csv", *, kind: str = "accounts", **options):
    """Upload and confirm the proposed mapping: the report's redirect, or the page refusing."""
    response = send_file(client, text, name, kind)
    if response.status_code != 302:
        return response
    return confirm(client, AccountImport.objects.latest("pk"), **options)
