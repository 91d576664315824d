"""The import's report page: the uploader's own, with progress while it runs."""

from __future__ import annotations

import pytest

from prospects.importing import selectors
from prospects.models import AccountImport
from tests.prospects.importing.csvfiles import GOOD, upload

pytestmark = pytest.mark.django_db


@pytest.mark.django_db
def test_import_report_is_the_uploaders_own(client, rep, teammate, outsider, segments):
    client.force_login(rep)
    url = upload(client, GOOD.format(rep=rep.username))["Location"]
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_import_progress_is_read_from_the_cache_while_running(rep):
    from django.core.cache import cache

    from prospects.importing import csvfile

    job = AccountImport.objects.create(
        uploaded_by=rep, file_name="a.csv", content="", total_rows=100, status="running"
    )
    cache.set(csvfile.progress_key(job.pk), 40)
    assert selectors.import_progress(job=job) == 40
    cache.set(csvfile.progress_key(job.pk), 500)
    assert selectors.import_progress(job=job) == 100
