"""What can be imported: each kind names its fields and how its rows are checked and written.

prospects registers accounts (with their contacts, one row per contact); pipeline registers
deals from its ready(), since prospects may not import what builds on it. The upload, the
mapping screen, the job and the worker (services.py) are the same for every kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from prospects.importing.csvfile import Checked

# The counts a kind's write returns: {thing: {"created": n, "updated": n, "unchanged": n}}.
Counts = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Field:
    """A salesflow field a column may fill. `name` is also the header an export writes, so
    an exported file maps itself; `aliases` are other headers taken to mean the same."""

    name: str
    label: str
    required: bool = False  # a column must be mapped to it (rows are matched on it)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: str
    fields: tuple[Field, ...]
    # check(rows of (line, {field: text}), *, actor, mode, mapped fields, progress) -> Checked,
    # its errors, and the plan of what each row does; it writes nothing.
    check: Callable[..., Checked]
    # write(*, actor, checked, on_batch) -> Counts: carries the plan out inside the import's
    # transaction; a refusal it meets is raised as csvfile.RowErrors (all is rolled back).
    write: Callable[..., Counts]
    # How a row finds the record it updates, said on the mapping screen.
    matching: str
    # (label, URL name) of the exports whose files this kind reads back.
    exports: tuple[tuple[str, str], ...] = ()

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def required(self) -> list[Field]:
        return [f for f in self.fields if f.required]


KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> None:
    KINDS[kind.key] = kind


def choices() -> list[tuple[str, str]]:
    return [(kind.key, kind.label) for kind in KINDS.values()]


def _simplified(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")


def guess(kind: ImportKind, headers: Iterable[str]) -> dict[str, str]:
    """{header: field} from the headers' names alone ("" when nothing fits); a field is
    given to the first header that names it."""
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for header in headers:
        simple = _simplified(header)
        found = ""
        for candidate in kind.fields:
            names = {candidate.name, *candidate.aliases, _simplified(candidate.label)}
            if simple in names and candidate.name not in taken:
                found = candidate.name
                break
        if found:
            taken.add(found)
        mapping[header] = found
    return mapping


def exports() -> list[tuple[str, str]]:
    return [export for kind in KINDS.values() for export in kind.exports]


def check_kind(key: str) -> ImportKind:
    try:
        return KINDS[key]
    except KeyError:
        raise LookupError(f"No import of {key!r} is registered.") from None


def check_mapping(kind: ImportKind, headers: list[str], mapping: dict[str, str]) -> None:
    """Refuse a mapping that names a header the file lacks or a field the kind lacks, fills
    one field from two columns, or leaves a required field unfilled."""
    names = set(kind.field_names())
    if set(mapping) - set(headers):
        raise ValidationError("The mapping names columns this file does not have.")
    if set(mapping.values()) - names - {""}:
        raise ValidationError("The mapping names fields salesflow does not have.")
    labels = {f.name: f.label for f in kind.fields}
    chosen = [name for name in mapping.values() if name]
    doubled = sorted({labels[name] for name in chosen if chosen.count(name) > 1})
    if doubled:
        raise ValidationError(f"Two columns fill {', '.join(doubled)}; pick one.")
    missing = [f.label for f in kind.required() if f.name not in chosen]
    if missing:
        raise ValidationError(f"Pick the column that holds: {', '.join(missing)}.")
