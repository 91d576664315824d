"""The API with a personal token, as a script or an integration uses it: the same reach as
the person's pages, no CSRF (no cookie to ride on), revocation at once, and the rate limit."""

from __future__ import annotations

import json

import pytest

from prospects.models import Account
from salesflow.core.apitokens.services import apitoken_create, apitoken_revoke
from tests.factories import AccountFactory, SegmentFactory
from tests.prospects.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_token_reads_what_its_owner_sees_and_no_more(client, rep, outsider):
    mine = AccountFactory(owner=rep)
    theirs = AccountFactory(owner=outsider)
    _, secret = apitoken_create(actor=rep, name="Warehouse sync")

    listed = client.get("/api/v1/accounts/", **bearer(secret))
    assert listed.status_code == 200, listed.content
    assert {row["id"] for row in listed.json()["results"]} == {mine.pk}
    assert client.get(f"/api/v1/accounts/{mine.pk}/", **bearer(secret)).status_code == 200
    assert_problem(client.get(f"/api/v1/accounts/{theirs.pk}/", **bearer(secret)), 404)


def test_a_token_creates_without_csrf_and_the_service_makes_it_the_owners(rep):
    from django.test import Client

    browserless = Client(enforce_csrf_checks=True)
    segment = SegmentFactory()
    _, secret = apitoken_create(actor=rep, name="Web form")
    response = browserless.post(
        "/api/v1/accounts/",
        json.dumps({"name": "Northwind", "segment": segment.pk}),
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 201, response.content
    assert Account.objects.get(pk=response.json()["id"]).owner == rep


def test_a_revoked_token_is_refused_at_once_with_a_bearer_challenge(client, rep):
    token, secret = apitoken_create(actor=rep, name="Old script")
    assert client.get("/api/v1/accounts/", **bearer(secret)).status_code == 200
    apitoken_revoke(actor=rep, token=token)
    response = client.get("/api/v1/accounts/", **bearer(secret))
    body = assert_problem(response, 401)
    assert "revoked" in body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_past_the_rate_a_token_gets_429_with_retry_after(client, rep, settings):
    settings.SALESFLOW_API_RATE = "3/min"
    _, secret = apitoken_create(actor=rep, name="Eager script")
    _, other = apitoken_create(actor=rep, name="Calm script")
    for _ in range(3):
        assert client.get("/api/v1/accounts/", **bearer(secret)).status_code == 200
    response = client.get("/api/v1/accounts/", **bearer(secret))
    assert_problem(response, 429)
    assert 0 < int(response.headers["Retry-After"]) <= 60
    # Per token: another token of the same person still has its own allowance.
    assert client.get("/api/v1/accounts/", **bearer(other)).status_code == 200
