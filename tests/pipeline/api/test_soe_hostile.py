"""Hostile input against every SOE endpoint: ids, bodies and unreadable JSON are answered
with data or problem details, never a 500, and a refused change leaves nothing behind."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import fuzz
from tests.hostile import ids as hostile_ids
from tests.pipeline.api.soe_support import PROBLEM, check, send, values
from tests.pipeline.hostile import soe_state

pytestmark = pytest.mark.django_db

STEP_FIELDS = [
    "text",
    "kind",
    "owner_side",
    "responsible_contact",
    "responsible_user",
    "target_date",
    "proposed_by",
    "proposed_on",
    "source_conversation",
    "notes",
    "position",
    "status",
]


def endpoints(soe) -> dict[str, tuple[str, str, list[str]]]:
    deal = soe.opportunity_id
    step = soe.steps.order_by("position").first().pk
    return {
        "start": ("post", f"/api/v1/deals/{deal}/soe/", ["template"]),
        "add": ("post", f"/api/v1/deals/{deal}/soe/steps/", STEP_FIELDS),
        "change": ("patch", f"/api/v1/soe-steps/{step}/", STEP_FIELDS),
        "reorder": ("post", f"/api/v1/deals/{deal}/soe/reorder/", ["steps"]),
        "reception": ("post", f"/api/v1/deals/{deal}/soe/reception/", ["reception", "note"]),
        "done": ("post", f"/api/v1/soe-steps/{step}/done/", ["done_on"]),
        "skip": ("post", f"/api/v1/soe-steps/{step}/skip/", ["reason"]),
        "reopen": ("post", f"/api/v1/soe-steps/{step}/reopen/", []),
    }


@fuzz
@given(data=st.data())
@pytest.mark.parametrize(
    "endpoint", ["start", "add", "change", "reorder", "reception", "done", "skip", "reopen"]
)
def test_hostile_bodies_never_500_and_a_refusal_saves_nothing(client, rep, soe, endpoint, data):
    method, path, fields = endpoints(soe)[endpoint]
    keys = st.sampled_from(fields) if fields else st.text(max_size=5)
    body = data.draw(st.one_of(st.dictionaries(keys, values, max_size=5), values))
    client.force_login(rep)
    before = soe_state()
    response = send(client, method, path, body)
    check(response)
    if response.status_code >= 400:
        assert soe_state() == before


@fuzz
@given(pk=hostile_ids)
@pytest.mark.parametrize(
    "address",
    ["deals/{pk}/soe/", "deals/{pk}/soe/templates/", "deals/{pk}/soe/history/", "soe-steps/{pk}/"],
)
def test_hostile_ids_in_reads_never_500(client, rep, soe, address, pk):
    client.force_login(rep)
    check(client.get("/api/v1/" + address.format(pk=quote(pk, safe=""))))


@fuzz
@given(pk=hostile_ids)
@pytest.mark.parametrize(
    "address",
    [
        "deals/{pk}/soe/",
        "deals/{pk}/soe/steps/",
        "deals/{pk}/soe/reorder/",
        "deals/{pk}/soe/reception/",
        "soe-steps/{pk}/done/",
        "soe-steps/{pk}/skip/",
        "soe-steps/{pk}/reopen/",
    ],
)
def test_hostile_ids_in_changes_never_500(client, rep, soe, address, pk):
    client.force_login(rep)
    before = soe_state()
    check(send(client, "post", "/api/v1/" + address.format(pk=quote(pk, safe="")), {}))
    assert soe_state() == before


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"[]", b'"x"', b"null", b"1e999"])
def test_a_body_that_cannot_be_read_is_a_problem_not_a_500(client, rep, soe, raw):
    client.force_login(rep)
    step = soe.steps.first().pk
    before = soe_state()
    for path in (
        f"/api/v1/deals/{soe.opportunity_id}/soe/steps/",
        f"/api/v1/deals/{soe.opportunity_id}/soe/reorder/",
        f"/api/v1/soe-steps/{step}/skip/",
    ):
        response = client.post(path, raw, content_type="application/json")
        assert response.status_code == 400, (path, raw, response.content)
        assert response["Content-Type"] == PROBLEM
    assert soe_state() == before
