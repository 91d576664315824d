"""CSV export of the account list: what the filters and visibility let through, safe to
open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_follows_the_filters_and_visibility(client, rep, teammate, account, other_account):
    AccountFactory(owner=teammate, name="Teammate Trust", status="customer")
    client.force_login(rep)
    rows = read_csv(client.get(reverse("prospects:account_export")))
    assert rows[0][:2] == ["account_name", "website"]
    assert sorted(row[0] for row in rows[1:]) == ["St Brigid's Hospital", "Teammate Trust"]
    rows = read_csv(client.get(reverse("prospects:account_export"), {"status": "customer"}))
    assert [row[0] for row in rows[1:]] == ["Teammate Trust"]


def test_export_defuses_spreadsheet_formulas(client, rep):
    AccountFactory(owner=rep, name='=HYPERLINK("http://x")')
    client.force_login(rep)
    rows = read_csv(client.get(reverse("prospects:account_export")))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][1] == ""  # an empty cell stays empty


def test_export_link_lives_in_the_results_that_filters_replace(client, rep, account):
    client.force_login(rep)
    fragment = client.get(
        reverse("prospects:account_list"), {"status": "customer"}, HTTP_HX_REQUEST="true"
    )
    assert f"{reverse('prospects:account_export')}?status=customer" in fragment.content.decode()
