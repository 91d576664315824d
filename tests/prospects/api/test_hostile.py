"""Hostile query strings and ids against every endpoint: never a 500, always either the
data or problem details."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.prospects.api.conftest import PROBLEM

pytestmark = pytest.mark.django_db

PARAMS = [
    "owner",
    "team",
    "segment",
    "lead_source",
    "status",
    "updated_since",
    "account",
    "buying_role",
    "cursor",
    "page_size",
]


def check(response) -> None:
    assert response.status_code in {200, 400, 404}, response.content[:300]
    if response.status_code != 200:
        assert response["Content-Type"] == PROBLEM
        body = response.json()
        assert body["status"] == response.status_code
        assert {"type", "title", "status", "detail"} <= set(body)
        if response.status_code == 400:
            assert body["errors"], body


@fuzz
@given(params=st.dictionaries(st.sampled_from(PARAMS), hostile, max_size=4))
@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/contacts/"])
def test_hostile_query_strings_never_500(client, rep, account, contact, path, params):
    client.force_login(rep)
    check(client.get(path, params))


@fuzz
@given(pk=hostile_ids)
@pytest.mark.parametrize("kind", ["accounts", "contacts"])
def test_hostile_ids_never_500(client, rep, account, kind, pk):
    client.force_login(rep)
    from urllib.parse import quote

    check(client.get(f"/api/v1/{kind}/{quote(pk, safe='')}/"))


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"[]", b'"x"', b"null"])
def test_a_body_that_cannot_be_read_is_a_problem_not_a_500(client, rep, body):
    client.force_login(rep)
    response = client.post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
