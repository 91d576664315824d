"""What the SOE and follow-up API tests share: JSON requests, the ids of a list's page,
hostile values for a JSON body, and the check every hostile answer must pass (data, or
problem details; never a 500). The rows compared before and after a refused request are
tests.pipeline.hostile's."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from tests.hostile import hostile
from tests.prospects.api.conftest import PROBLEM, assert_problem

__all__ = ["PROBLEM", "assert_problem", "check", "results", "send", "values"]

# What a JSON body may hold where a field goes: text, numbers far beyond bigint, nothing,
# lists and objects.
BIG = st.integers(min_value=-(2**70), max_value=2**70)
values = st.one_of(
    hostile,
    BIG,
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.one_of(BIG, hostile), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def send(client, method: str, path: str, body: object = None):
    """A JSON request, as an integration sends it."""
    payload = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, payload, content_type="application/json")


def results(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [item["id"] for item in response.json()["results"]]


def check(response) -> None:
    assert response.status_code in {200, 201, 400, 403, 404}, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM
        body = response.json()
        assert body["status"] == response.status_code
        # Refused input names its fields; a body that is not JSON at all (Infinity, say)
        # is the malformed-request problem, with nothing to name.
        if response.status_code == 400 and not body["type"].endswith("/malformed-request"):
            assert body["errors"], body
