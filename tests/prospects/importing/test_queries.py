"""An import's check reads in batches, whatever the file's size: rows that change nothing
cost no query of their own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prospects.importing import services
from prospects.models import AccountImport
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def unchanged_file(rep, size: int) -> str:
    lines = ["account_name,website,owner,contact_name,contact_email"]
    for n in range(size):
        account = AccountFactory(
            owner=rep, name=f"Firm {size}-{n}", website=f"https://f{n}.example"
        )
        ContactFactory(account=account, name=f"P {n}", email=f"p{n}@f{size}.example")
        lines.append(
            f"Firm {size}-{n},https://f{n}.example,{rep.username},P {n},p{n}@f{size}.example"
        )
    return "\n".join(lines) + "\n"


def run(rep, content: str, size: int) -> AccountImport:
    job = AccountImport.objects.create(
        uploaded_by=rep, file_name="a.csv", content=content, total_rows=size, mode="update"
    )
    services.account_import_run(import_id=job.pk)
    job.refresh_from_db()
    return job


def test_an_unchanged_import_costs_the_same_queries_at_two_sizes(rep, django_assert_num_queries):
    small = unchanged_file(rep, 5)
    with CaptureQueriesContext(connection) as queries:
        job = run(rep, small, 5)
    assert job.counts["accounts"] == {"created": 0, "updated": 0, "unchanged": 5}
    large = unchanged_file(rep, 60)
    with django_assert_num_queries(len(queries)):
        job = run(rep, large, 60)
    assert job.counts["accounts"] == {"created": 0, "updated": 0, "unchanged": 60}
