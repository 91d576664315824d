"""Walk the whole URLconf: every page but the public ones sends a visitor to sign in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, PathConverter, SlugConverter, UUIDConverter

# Pages a visitor may open without signing in; everything else is behind the login.
PUBLIC = {
    "login",
    "healthz",
    "favicon",
    "admin:login",
    # Password reset by email: asked for and finished signed out; the link carries its token.
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
# Public, but only to whoever holds the secret in the address: any other answers 404.
SECRET_ADDRESS = {"pipeline:calendar_feed"}
# The REST API's endpoints (and its schema, which a token reads too) answer for themselves:
# 401 problem details, not a redirect.
API_NAMESPACES = ("prospects_api:",)

SAMPLES = {
    IntConverter: "1",
    UUIDConverter: str(uuid.uuid4()),
    SlugConverter: "x",
    PathConverter: "1",
}


def _sample_regex(regex: str) -> str:
    """Turn a regex route into a concrete path: first alternative of a group, '1' for the rest."""
    path = regex.lstrip("^").rstrip("$").replace("\\Z", "")

    def group(match: re.Match[str]) -> str:
        body = match.group(2)
        if "|" in body or body.isalnum():
            return body.split("|")[0]
        return "1"

    return re.sub(r"\(\?P<(\w+)>([^)]*)\)", group, path).replace("\\", "")


def _sample_route(pattern) -> str:
    route = str(pattern)

    def sub(match: re.Match[str]) -> str:
        converter = pattern.converters[match.group(2)]
        return SAMPLES.get(type(converter), "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


def walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        regex = entry.pattern.regex.pattern
        piece = (
            _sample_regex(regex)
            if hasattr(entry.pattern, "_regex") and not hasattr(entry.pattern, "_route")
            else _sample_route(entry.pattern)
        )
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + piece, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or entry.lookup_str}", "/" + prefix + piece


ALL_URLS = sorted(set(walk(get_resolver().url_patterns)))


def test_the_walk_covers_the_site():
    names = {name for name, _ in ALL_URLS}
    assert {"home", "login", "logout", "healthz", "password_change", "admin:index"} <= names
    assert any(name.startswith("admin:core_user") for name in names)
    assert len(ALL_URLS) > 30


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), ALL_URLS, ids=[name for name, _ in ALL_URLS])
def test_every_page_requires_login(client, name, path):
    resolve(path)  # the sample path really reaches this pattern
    response = client.get(path)
    if name in PUBLIC:
        assert response.status_code in {200, 301, 503}, f"{path} should be public"
        return
    if name in SECRET_ADDRESS:
        assert response.status_code == 404, f"{path} should need its secret, not a sign-in"
        return
    if name.startswith(API_NAMESPACES) or path.startswith("/api/v1/") or name == "api:schema":
        assert response.status_code == 401, f"{path} answered {response.status_code}"
        assert response["Content-Type"] == "application/problem+json", path
        return
    # Anonymous visitors are sent to a login page, or told the page does not exist.
    assert response.status_code in {302, 404}, f"{path} answered {response.status_code}"
    if response.status_code == 302:
        target = urlsplit(response["Location"]).path
        assert target in {"/login/", "/admin/login/"}, f"{path} -> {target}"
