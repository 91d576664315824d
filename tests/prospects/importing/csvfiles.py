"""Accounts CSV files for the import tests, and uploading one."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
