"""Status machines as data. Each model with a status keeps its allowed moves in one table
beside it (`TRANSITIONS`: each status → the statuses it may move to); a service asks the
table which statuses a move may start from and names them in its guarded UPDATE
(`filter(pk=…, status__in=…).update(…)` touching exactly one row), so a rule changes in
one place and two clicks or two workers still make a move once."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TypeVar

S = TypeVar("S", bound=str)


def sources(table: Mapping[S, Collection[S]], to: S) -> frozenset[S]:
    """The statuses a move to `to` may start from, read off a transitions table."""
    return frozenset(old for old, moves in table.items() if to in moves)


def allows(table: Mapping[S, Collection[S]], old: S, new: S) -> bool:
    """Whether the table lets a row in `old` move to `new`."""
    return new in table.get(old, ())
