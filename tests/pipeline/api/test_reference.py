"""/api/v1/pipelines/: every pipeline with its stages in board order, read-only for everyone
signed in; never a 500 on hostile input."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from pipeline.deals.models import Pipeline, Stage
from tests.factories import SegmentFactory
from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db


def test_signed_out_gets_401_problem(client):
    assert_problem(client.get("/api/v1/pipelines/"), 401)
    assert_problem(client.get("/api/v1/pipelines/1/"), 401)


def test_everyone_reads_the_pipelines_with_their_stages_in_board_order(
    client, rep, teammate, manager, sales_ops, outsider, standard
):
    board = list(standard.stages.order_by("position", "pk"))
    for user in (rep, teammate, manager, sales_ops, outsider):
        client.force_login(user)
        body = client.get(f"/api/v1/pipelines/{standard.pk}/").json()
        assert body["name"] == standard.name
        assert body["is_default"] is True
        assert body["segment"] is None
        assert [stage["id"] for stage in body["stages"]] == [stage.pk for stage in board]
        listed = client.get("/api/v1/pipelines/").json()["results"]
        assert [item["id"] for item in listed] == [standard.pk]
    won = next(stage for stage in body["stages"] if stage["outcome"] == "won")
    stored = Stage.objects.get(pk=won["id"])
    assert won == {
        "id": stored.pk,
        "name": stored.name,
        "position": stored.position,
        "outcome": "won",
        "probability": stored.probability,
        "stuck_after_days": stored.stuck_after_days,
    }
    assert {stage["outcome"] for stage in body["stages"]} == {"open", "won", "lost"}


def test_a_segments_pipeline_names_its_segment(client, rep, standard):
    schools = SegmentFactory(name="Schools")
    pipeline = Pipeline.objects.create(name="Schools", segment=schools)
    Stage.objects.create(pipeline=pipeline, name="Second", position=2, probability=40)
    Stage.objects.create(pipeline=pipeline, name="First", position=1, probability=20)
    client.force_login(rep)
    body = client.get(f"/api/v1/pipelines/{pipeline.pk}/").json()
    assert body["segment"] == {"id": schools.pk, "name": "Schools"}
    assert [stage["name"] for stage in body["stages"]] == ["First", "Second"]


def test_they_are_read_only_and_unknown_ids_are_404(client, sales_ops, standard):
    client.force_login(sales_ops)
    assert_problem(client.post("/api/v1/pipelines/", {}, content_type="application/json"), 405)
    assert_problem(client.get("/api/v1/pipelines/999999/"), 404)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_query_count_is_pinned_and_flat(client, rep, standard, django_assert_max_num_queries):
    def grow(count: int) -> None:
        for _ in range(count):
            pipeline = Pipeline.objects.create(
                name=f"P{Pipeline.objects.count()}", segment=SegmentFactory()
            )
            for position in range(4):
                Stage.objects.create(
                    pipeline=pipeline, name=f"S{position}", position=position, probability=10
                )

    client.force_login(rep)
    grow(1)
    small = _queries(client, "/api/v1/pipelines/")
    grow(30)
    with django_assert_max_num_queries(small):
        assert _queries(client, "/api/v1/pipelines/?page_size=60") == small
    # The session, the user, the pipelines (segment joined in), their stages.
    assert small == 4


def _check(response) -> None:
    assert response.status_code in {200, 400, 404}, response.content[:300]
    if response.status_code != 200:
        assert response["Content-Type"] == PROBLEM


@fuzz
@given(params=st.dictionaries(st.sampled_from(["cursor", "page_size"]), hostile))
def test_hostile_query_strings_never_500(client, rep, standard, params):
    client.force_login(rep)
    _check(client.get("/api/v1/pipelines/", params))


@fuzz
@given(pk=hostile_ids)
def test_hostile_ids_never_500(client, rep, pk):
    client.force_login(rep)
    _check(client.get(f"/api/v1/pipelines/{quote(pk, safe='')}/"))
