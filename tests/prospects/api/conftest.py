from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def get(client, path: str, user=None, **params):
    if user is not None:
        client.force_login(user)
    return client.get(path, params)


def assert_problem(response, status: int) -> dict:
    """The answer is problem details (RFC 9457) with this status."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://salesflow.invalid/problems/")
    assert body["title"]
    assert body["detail"]
    return body


@pytest.fixture
def walk(client):
    """Every item of a list, following `next` from page to page."""

    def _walk(path: str, user, **params) -> list[dict]:
        client.force_login(user)
        items: list[dict] = []
        response = client.get(path, params)
        while True:
            assert response.status_code == 200, response.content[:500]
            body = response.json()
            items += body["results"]
            if not body["next"]:
                return items
            response = client.get(body["next"])

    return _walk
