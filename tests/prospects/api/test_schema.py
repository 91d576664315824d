"""The OpenAPI schema: valid OpenAPI 3.1 with no warnings, and every endpoint under
/api/v1/ described in it, with a summary and an example."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from tests.prospects.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def api_v1_routes(patterns, prefix: str = "") -> list[str]:
    """Every URL pattern's route under /api/v1/, in the schema's spelling ({pk})."""
    routes = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += api_v1_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
            routes.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return routes


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --validate checks it against the OpenAPI specification; a warning fails it too.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_the_schema_is_openapi_3_1_and_names_the_version(schema):
    from salesflow import __version__

    assert schema["openapi"] == "3.1.0"
    assert schema["info"]["title"] == "salesflow API"
    assert schema["info"]["version"] == __version__


def test_every_api_v1_url_is_in_the_schema(schema):
    routes = api_v1_routes(get_resolver().url_patterns)
    assert len(routes) >= 4
    paths = {re.sub(r"\{id\}", "{pk}", path) for path in schema["paths"]}
    assert set(routes) <= paths, set(routes) - paths
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_every_operation_is_described_with_an_example_and_its_problems(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            # A POST that creates answers 201; one that moves a record on (done/, skip/,
            # reorder/…) answers 200 with the record as it now stands.
            success = "201" if method == "post" and "201" in operation["responses"] else "200"
            ok = operation["responses"][success]["content"]["application/json"]
            assert ok.get("examples"), where
            problems = {
                code: answer
                for code, answer in operation["responses"].items()
                if code in {"400", "401", "404"}
            }
            assert "401" in problems, where
            assert {"404", "400"} & set(problems), where
            for answer in problems.values():
                assert list(answer["content"]) == ["application/problem+json"], where


def test_the_schema_is_served_to_a_token_or_a_session_only(client, rep):
    from salesflow.core.apitokens.services import apitoken_create

    json_schema = {"HTTP_ACCEPT": "application/vnd.oai.openapi+json"}
    # Anonymous: the API's own 401 (with its Bearer challenge), not the sign-in page; in
    # JSON even where the schema itself would come as YAML (no Accept header).
    for headers in ({}, json_schema):
        response = client.get("/api/schema/", **headers)
        assert_problem(response, 401)
        assert response["WWW-Authenticate"] == "Bearer"
    # An integration reads it with its token.
    _, secret = apitoken_create(actor=rep, name="Code generator")
    response = client.get("/api/schema/", HTTP_AUTHORIZATION=f"Bearer {secret}", **json_schema)
    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"
    # A signed-in browser (the docs pages fetch it so).
    client.force_login(rep)
    response = client.get("/api/schema/", **json_schema)
    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"
