"""Keyset pages over (sort value, id): a page starts after the last row the previous one
showed, by its sort value and id, not at an offset, so a row added or removed between two
loads neither repeats a row nor drops one. NULL sort values come last in either direction.

The cursor travels in the address as an opaque token: the sort it belongs to, the last
row's sort value (as text, read back through the sort's own field) and id, and how many
rows came before (for "51 to 100 of many").
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Field, Q

from salesflow.core.fields import MAX_ID

SORT_ALIAS = "list_sort"
# Longer than any cursor this module makes (a sort value is at most a few hundred characters).
MAX_TOKEN = 1500


@dataclass(frozen=True)
class Cursor:
    sort: str  # the sort it was made for, e.g. "-value"
    value: str | None  # the last row's sort value as text; None: it was NULL
    pk: int
    shown: int  # rows on the pages before

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.value, self.pk, self.shown], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        """The cursor, or None when the token is not one this module made."""
        if not token or len(token) > MAX_TOKEN:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            sort, value, pk, shown = json.loads(raw.decode())
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
            return None
        if not (
            isinstance(sort, str)
            and (value is None or (isinstance(value, str) and "\x00" not in value))
            and isinstance(pk, int)
            and isinstance(shown, int)
            and 0 < pk <= MAX_ID
            and 0 <= shown <= MAX_ID
        ):
            return None
        return cls(sort, value, pk, shown)


def as_text(value: object) -> str | None:
    """A sort value as the cursor keeps it."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | float | str):
        return str(value)
    raise TypeError(f"A list cannot sort on {type(value).__name__} values.")


def from_text(text: str, field: Field) -> object:
    """The sort value read back through the sort's field; ValueError when it is not one."""
    try:
        value = field.to_python(text)
    except (ValidationError, TypeError, ValueError, OverflowError) as error:
        raise ValueError(str(error)) from None
    if value is None:
        raise ValueError("An empty sort value.")
    return value


def after(value: object | None, pk: int, *, descending: bool, nullable: bool) -> Q:
    """The rows after (value, pk) in the order (sort NULLS LAST, id), both descending or
    both ascending."""
    op = "lt" if descending else "gt"
    if value is None:
        # The last row shown sat among the NULLs, which come last: only NULLs follow.
        return Q(**{f"{SORT_ALIAS}__isnull": True, f"pk__{op}": pk})
    later = Q(**{f"{SORT_ALIAS}__{op}": value}) | Q(**{SORT_ALIAS: value, f"pk__{op}": pk})
    if nullable:
        return later | Q(**{f"{SORT_ALIAS}__isnull": True})
    # The redundant bound lets PostgreSQL start the index scan at the value instead of
    # filtering every row before it (it cannot start a scan from an OR).
    return Q(**{f"{SORT_ALIAS}__{op}e": value}) & later
