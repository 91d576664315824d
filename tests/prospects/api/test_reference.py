"""/api/v1/segments/ and /api/v1/lead-sources/: read-only reference lists for everyone signed
in, pages by id, and never a 500 on hostile input."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from prospects.models import LeadSource
from tests.factories import SegmentFactory
from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    "path", ["/api/v1/segments/", "/api/v1/segments/1/", "/api/v1/lead-sources/"]
)
def test_signed_out_gets_401_problem(client, path):
    assert_problem(client.get(path), 401)


def test_everyone_signed_in_reads_them(client, rep, teammate, manager, sales_ops, outsider):
    hospitals = SegmentFactory(name="Hospitals", description="Acute and community hospitals.")
    referral = LeadSource.objects.create(name="Referral", cost=120)
    for user in (rep, teammate, manager, sales_ops, outsider):
        client.force_login(user)
        assert ids(client.get("/api/v1/segments/")) == [hospitals.pk]
        assert client.get(f"/api/v1/segments/{hospitals.pk}/").json() == {
            "id": hospitals.pk,
            "name": "Hospitals",
            "description": "Acute and community hospitals.",
        }
        # What a source costs is sales ops' business and the dashboard's, not a picker's.
        assert client.get(f"/api/v1/lead-sources/{referral.pk}/").json() == {
            "id": referral.pk,
            "name": "Referral",
            "active": True,
        }


def test_they_are_read_only(client, sales_ops):
    client.force_login(sales_ops)
    for path in ("/api/v1/segments/", "/api/v1/lead-sources/"):
        assert_problem(client.post(path, {"name": "x"}, content_type="application/json"), 405)


def test_unknown_ids_are_404(client, rep):
    client.force_login(rep)
    assert_problem(client.get("/api/v1/segments/999999/"), 404)
    assert_problem(client.get("/api/v1/lead-sources/999999/"), 404)


def test_the_active_filter(client, rep):
    live = LeadSource.objects.create(name="Referral")
    retired = LeadSource.objects.create(name="Trade show 2019", active=False)
    client.force_login(rep)
    path = "/api/v1/lead-sources/"
    assert ids(client.get(path)) == [live.pk, retired.pk]
    assert ids(client.get(path, {"active": "true"})) == [live.pk]
    assert ids(client.get(path, {"active": "false"})) == [retired.pk]
    assert "active" in assert_problem(client.get(path, {"active": "sometimes"}), 400)["errors"]


def test_pages_walk_every_segment_once(client, rep, walk):
    made = [SegmentFactory(name=f"Segment {n}").pk for n in range(7)]
    assert [item["id"] for item in walk("/api/v1/segments/", rep, page_size=3)] == made


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/api/v1/segments/", "/api/v1/lead-sources/"])
def test_query_count_is_pinned_and_flat(client, rep, path, django_assert_max_num_queries):
    def grow(count: int) -> None:
        for _ in range(count):
            n = LeadSource.objects.count()
            SegmentFactory(name=f"Segment {n}")
            LeadSource.objects.create(name=f"Source {n}")

    client.force_login(rep)
    grow(2)
    small = _queries(client, path)
    grow(40)
    with django_assert_max_num_queries(small):
        assert _queries(client, path + "?page_size=60") == small
    assert small == 3  # the session, the user, the page


def _check(response) -> None:
    assert response.status_code in {200, 400, 404}, response.content[:300]
    if response.status_code != 200:
        assert response["Content-Type"] == PROBLEM


@fuzz
@given(params=st.dictionaries(st.sampled_from(["active", "cursor", "page_size"]), hostile))
@pytest.mark.parametrize("path", ["/api/v1/segments/", "/api/v1/lead-sources/"])
def test_hostile_query_strings_never_500(client, rep, path, params):
    client.force_login(rep)
    _check(client.get(path, params))


@fuzz
@given(pk=hostile_ids)
@pytest.mark.parametrize("kind", ["segments", "lead-sources"])
def test_hostile_ids_never_500(client, rep, kind, pk):
    client.force_login(rep)
    _check(client.get(f"/api/v1/{kind}/{quote(pk, safe='')}/"))
