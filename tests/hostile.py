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
