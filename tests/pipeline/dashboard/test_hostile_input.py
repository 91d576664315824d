"""Random filters on the dashboard's pages and CSV tables: always a page, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import fuzz, ids

pytestmark = pytest.mark.django_db


@fuzz
@given(
    params=st.dictionaries(
        st.sampled_from(["owner", "team", "pipeline", "segment", "lead_source", "start", "end"]),
        ids,
    ),
    table=st.sampled_from(["funnel", "coaching", "lead-sources", "readiness", "velocity"]),
    htmx=st.booleans(),
)
def test_dashboard_filters_pages_and_csv(client, manager, rep, deal, params, table, htmx):
    client.force_login(manager)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for url in (
        reverse("pipeline:dashboard"),
        reverse("pipeline:dashboard_csv", args=[table]),
        reverse("pipeline:dashboard_rep", args=[rep.pk]),
    ):
        response = client.get(url, params, **extra)
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.content.decode()
