"""A status's allowed moves are a table (salesflow.core.transitions): which statuses a move
starts from, and whether a move is allowed."""

from __future__ import annotations

import pytest

from salesflow.core import transitions

pytestmark = pytest.mark.django_db


def test_a_table_answers_which_statuses_a_move_starts_from():
    table = {"a": frozenset({"b"}), "b": frozenset({"a", "c"}), "c": frozenset()}
    assert transitions.sources(table, "a") == {"b"}
    assert transitions.sources(table, "c") == {"b"}
    assert transitions.allows(table, "a", "b")
    assert not transitions.allows(table, "a", "c")
    assert not transitions.allows(table, "unknown", "a")
