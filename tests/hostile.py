"""Hypothesis strategies for hostile form input, shared by every app's fuzz tests."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

hostile = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "x" * 20_000,
            "\x00",
            "9999999999999999999999",
            "-1",
            "2026-02-30T25:61",
            "0001-01-01T00:00",
            "9999-12-31T23:59",
            "",
        ]
    ),
)
ids = st.one_of(hostile, st.integers(min_value=-(2**63), max_value=2**63).map(str))
fuzz = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Answers a hostile request may get: a page, a redirect, or a refusal — never a 500.
OK = {200, 302, 400, 403, 404, 409, 422}

# --- Forms sent in another character encoding ------------------------------------------
# Charsets a request may claim that salesflow does not read. Django reads urlencoded forms
# as UTF-8 only; some of these are not text encodings at all (hex, rot13); foo is nothing.
BAD_CHARSETS = ["utf-16", "latin-1", "windows-1252", "utf-8-sig", "foo", "hex", "rot13"]
BOUNDARY = "hostileBoundary"


def bodies_in(charset: str, data: dict[str, object]) -> list[tuple[bytes, str]]:
    """`data` as an urlencoded and as a multipart body, each with a Content-Type that names
    `charset`; encoded in it when Python can, else (a lie) in UTF-8."""
    from urllib.parse import urlencode

    from django.test.client import encode_multipart

    try:
        encoded = urlencode(data, doseq=True).encode(charset, errors="replace")
    except (LookupError, TypeError, UnicodeError):
        # No such codec, not a text codec, or one that encodes nothing (Python's "undefined").
        encoded = urlencode(data, doseq=True).encode()
    return [
        (encoded, f"application/x-www-form-urlencoded; charset={charset}"),
        (
            encode_multipart(BOUNDARY, data),
            f"multipart/form-data; boundary={BOUNDARY}; charset={charset}",
        ),
    ]


def csrf_client(user=None):
    """A client that checks CSRF tokens as a browser's requests are checked (Django's test
    client skips the check by default, and with it the read of request.POST that failed),
    signed in as `user`, holding a CSRF token; returns (client, token)."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.get("/login/" if user is None else "/")
    return client, client.cookies["csrftoken"].value


def post_in(client, url: str, body: bytes, content_type: str):
    return client.generic("POST", url, body, content_type=content_type)


def assert_refused_as_not_utf8(response) -> None:
    assert response.status_code == 400, response.status_code
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "UTF-8" in response.content.decode()
