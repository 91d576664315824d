"""What the SOE and follow-up API tests share: JSON requests, and the rows to compare
before and after a refused one (tests.pipeline.hostile keeps those)."""

from __future__ import annotations

import json

from tests.prospects.api.conftest import PROBLEM, assert_problem

__all__ = ["PROBLEM", "assert_problem", "results", "send"]


def send(client, method: str, path: str, body: object = None):
    """A JSON request, as an integration sends it."""
    payload = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, payload, content_type="application/json")


def results(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [item["id"] for item in response.json()["results"]]
