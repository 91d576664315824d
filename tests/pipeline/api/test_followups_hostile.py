"""Hostile input against every follow-up endpoint: query strings, ids, bodies and unreadable
JSON are answered with data or problem details, never a 500, and a refused request leaves
nothing behind."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.followups import services as followup_services
from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.pipeline.api.soe_support import PROBLEM, check, send, values
from tests.pipeline.hostile import followup_state

pytestmark = pytest.mark.django_db

PARAMS = [
    "status",
    "due",
    "awaiting_approval",
    "account",
    "deal",
    "owner",
    "team",
    "updated_since",
    "cursor",
    "page_size",
]
BODIES = {
    "": ["account", "deal", "purpose", "channel", "draft", "not_before"],
    "surface-now/": ["reason"],
    "done/": ["kind", "notes"],
    "dismiss/": ["reason"],
    "revise/": ["purpose", "draft"],
    "approve/": ["comment", "draft"],
    "send-back/": ["comment", "draft"],
}


@pytest.fixture
def follow_up(rep, manager, account):
    return followup_services.followup_create(actor=rep, account=account, purpose="Ask")


@fuzz
@given(params=st.dictionaries(st.sampled_from(PARAMS), hostile, max_size=4))
def test_hostile_query_strings_never_500(client, rep, follow_up, params):
    client.force_login(rep)
    check(client.get("/api/v1/follow-ups/", params))


@fuzz
@given(data=st.data())
@pytest.mark.parametrize("move", list(BODIES))
def test_hostile_bodies_never_500_and_a_refusal_saves_nothing(
    client, rep, manager, follow_up, deal, move, data
):
    fields = BODIES[move]
    body = data.draw(
        st.one_of(st.dictionaries(st.sampled_from(fields), values, max_size=5), values)
    )
    # The manager may do every move (approve included) on the rep's follow-up.
    client.force_login(manager)
    before = followup_state()
    path = "/api/v1/follow-ups/" + (f"{follow_up.pk}/{move}" if move else "")
    response = send(client, "post", path, body)
    check(response)
    if response.status_code >= 400:
        assert followup_state() == before


@fuzz
@given(pk=hostile_ids)
@pytest.mark.parametrize("move", ["", *(move for move in BODIES if move)])
def test_hostile_ids_never_500(client, rep, follow_up, move, pk):
    client.force_login(rep)
    before = followup_state()
    path = f"/api/v1/follow-ups/{quote(pk, safe='')}/{move}"
    check(client.get(path) if not move else send(client, "post", path, {"reason": "x"}))
    assert followup_state() == before


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"[]", b'"x"', b"null"])
def test_a_body_that_cannot_be_read_is_a_problem_not_a_500(client, rep, follow_up, raw):
    client.force_login(rep)
    before = followup_state()
    for path in ("/api/v1/follow-ups/", f"/api/v1/follow-ups/{follow_up.pk}/dismiss/"):
        response = client.post(path, raw, content_type="application/json")
        assert response.status_code == 400, (path, raw, response.content)
        assert response["Content-Type"] == PROBLEM
    assert followup_state() == before
