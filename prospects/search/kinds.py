"""The registry of what search finds: each kind says what the user may see of it, the text it
is searched by, how a hit reads and where it leads. prospects registers its own kinds
(accounts, contacts, why notes, conversation notes); pipeline adds deals, SOE steps and
follow-ups in its AppConfig.ready(), since prospects never imports pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet

from salesflow.core.models import User


@dataclass(frozen=True)
class Shown:
    """How one hit reads: `title` and `text` are plain text (the page escapes them and marks
    the words searched for), `detail` a plain line under them."""

    title: str
    url: str
    text: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Kind:
    """One kind of thing search finds.

    A kind with a `name` field is ranked: an exact name first, then names starting with what
    was typed, then by the name's trigram word similarity to what was typed, which also
    lets a misspelt name match. A kind without one (notes, steps, purposes: long texts, millions of
    rows) lists the newest match first, by `newest` (a field indexed with the id, or the id
    itself), so a common word never ranks every row it appears in.
    """

    key: str  # in the address: ?kind=deals
    label: str  # "Deals", the heading
    noun: str  # "deals", as in "More deals…"
    position: int  # the page's order of kinds
    visible: Callable[[User], QuerySet]  # the rows the user may see, with what `show` reads
    fields: tuple[str, ...]  # the searched text: fulltext.document(fields), as indexed
    show: Callable[[Model], Shown]
    name: str | None = None
    newest: str = "pk"


class Kinds:
    """The kinds search finds, in the page's order."""

    def __init__(self) -> None:
        self._kinds: dict[str, Kind] = {}

    def __repr__(self) -> str:
        return f"<Kinds {', '.join(self._kinds)}>"

    def register(self, kind: Kind) -> Kind:
        """Add a kind, or replace one of the same key (ready() may run again in tests)."""
        self._kinds[kind.key] = kind
        return kind

    def get(self, key: str) -> Kind | None:
        return self._kinds.get(key)

    @property
    def registered(self) -> tuple[Kind, ...]:
        return tuple(sorted(self._kinds.values(), key=lambda kind: (kind.position, kind.key)))


KINDS = Kinds()
