"""Where a person's data is held: a registry of holders, each able to export what it holds
about a person and to scrub it.

prospects registers its own holder (prospects.privacy.held: the contact's account, its
conversations, why notes and timeline, imports, and core's notifications, outbox and admin
log); the apps built on prospects register theirs in their AppConfig.ready() (pipeline: deals,
SOE, follow-ups; reviews: review texts). prospects never imports them: an export or an
erasure asks HOLDERS. A table added later that may quote a person (an audit-history library's
rows) is covered by registering one more holder, not by changing the services.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, reduce
from operator import or_
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from prospects.models import Contact

# What a person's name, email or phone becomes wherever a text quotes it.
ERASED = "[erased]"
# Shorter identifiers are not looked for: scrubbing every "Li" or "12" in the database would
# erase other people's words, not this person's.
SHORTEST_IDENTIFIER = 3


@dataclass(frozen=True)
class Person:
    """A contact as texts name them. Built before the contact row is anonymised: the
    identifiers are what the holders look for, and they are never stored."""

    contact_pk: int
    account_pk: int
    identifiers: tuple[str, ...]

    @classmethod
    def of(cls, contact: Contact) -> Person:
        if contact.erased_at is not None:
            # The placeholder names nobody: "Erased contact" is not looked for anywhere.
            return cls(contact_pk=contact.pk, account_pk=contact.account_id, identifiers=())
        words = contact.name.split()
        candidates = [
            contact.name.strip(),
            # "Helen Margaret Shaw" is "Helen Shaw" in a note.
            f"{words[0]} {words[-1]}" if len(words) > 2 else "",
            contact.email.strip(),
            contact.phone.strip(),
        ]
        found: list[str] = []
        for text in candidates:
            if len(text) >= SHORTEST_IDENTIFIER and text.casefold() not in map(str.casefold, found):
                found.append(text)
        # Longest first, so "Helen Margaret Shaw" is replaced whole before "Helen Shaw" is
        # looked for inside it.
        found.sort(key=len, reverse=True)
        return cls(contact_pk=contact.pk, account_pk=contact.account_id, identifiers=tuple(found))

    @classmethod
    def others_near(cls, contact: Contact, person: Person) -> Person:
        """The other people an export of `contact` may quote: their account's other contacts
        and whoever took part in a conversation with them, as one Person whose identifiers
        the export hides. An identifier found inside one of the person's own ("Helen" in
        "Helen Shaw") is left alone: hiding it would hide the person from their own export."""
        others = (
            Contact.objects.filter(
                Q(account_id=contact.account_id) | Q(conversations__contacts=contact),
                erased_at__isnull=True,
            )
            .exclude(pk=contact.pk)
            .distinct()
        )
        own = [text.casefold() for text in person.identifiers]
        found: set[str] = set()
        for other in others:
            for text in cls.of(other).identifiers:
                if not any(text.casefold() in mine for mine in own):
                    found.add(text)
        return cls(
            contact_pk=contact.pk,
            account_pk=contact.account_id,
            identifiers=tuple(sorted(found, key=len, reverse=True)),
        )

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.identifiers:
            return None
        return re.compile("|".join(map(re.escape, self.identifiers)), re.IGNORECASE)

    def named_in(self, *fields: str) -> Q:
        """Rows where any of `fields` names the person, case ignored. One regular expression
        per field (PostgreSQL's ~*) reads each value once for all the identifiers: twice as
        fast as an ILIKE per identifier over a large table (docs/performance.md)."""
        if not self.identifiers:
            return Q(pk__in=[])
        pattern = "|".join(map(re.escape, self.identifiers))
        return reduce(or_, (Q(**{f"{field}__iregex": pattern}) for field in fields))

    def scrub(self, value: Any, *, replacement: str = ERASED, keys: bool = True) -> Any:
        """The value with every mention replaced by [erased]: a text, or a JSON value's texts
        (its keys too, unless `keys` is false: an export's own field names stay as they are)."""
        if isinstance(value, str):
            return self._pattern.sub(replacement, value) if self._pattern else value
        if isinstance(value, list):
            return [self.scrub(item, replacement=replacement, keys=keys) for item in value]
        if isinstance(value, dict):
            return {
                (self.scrub(key, replacement=replacement) if keys else key): self.scrub(
                    item, replacement=replacement, keys=keys
                )
                for key, item in value.items()
            }
        return value

    def mentioned(self, value: Any) -> bool:
        return self.scrub(value) != value

    def lines_naming(self, text: str) -> list[str]:
        """The lines of a text (a CSV file) that name the person."""
        return [line for line in text.splitlines() if self.mentioned(line)]

    def scrub_rows(self, rows: QuerySet[Any], fields: Iterable[str]) -> int:
        """Replace the person's identifiers in `fields` of the rows that name them; returns
        how many rows changed. Rows are locked while rewritten, so a concurrent edit is not
        lost to, or undone by, the erasure."""
        fields = list(fields)
        model = rows.model
        changed = []
        for row in rows.filter(self.named_in(*fields)).select_for_update(of=("self",)):
            for name in fields:
                value = self.scrub(getattr(row, name))
                limit = getattr(model._meta.get_field(name), "max_length", None)
                if isinstance(value, str) and limit:
                    # "[erased]" may be longer than the name it replaces.
                    value = value[:limit]
                setattr(row, name, value)
            changed.append(row)
        if changed:
            model.objects.bulk_update(changed, fields, batch_size=500)
        return len(changed)


# A holder's export: sections of the export file ({"conversations": [...], …}).
Export = Callable[[Person], dict[str, Any]]
# A holder's erasure: rows scrubbed by kind ({"conversations": 3, …}), no personal data.
Erase = Callable[[Person], dict[str, int]]


@dataclass(frozen=True)
class Holder:
    name: str
    export: Export
    erase: Erase


class Holders:
    """Every holder of personal data, in the order registered (prospects first)."""

    def __init__(self) -> None:
        self._holders: dict[str, Holder] = {}
        self._closing: dict[str, Holder] = {}

    def __repr__(self) -> str:
        return f"<Holders: {', '.join(self._holders)}>"

    @property
    def registered(self) -> tuple[Holder, ...]:
        return tuple(self._holders.values())

    @property
    def closing(self) -> tuple[Holder, ...]:
        """The holders whose erasure runs last, after the contact row is anonymised."""
        return tuple(self._closing.values())

    def register(self, name: str, *, export: Export, erase: Erase, closing: bool = False) -> None:
        """Add a holder (again under the same name replaces it: ready() may run twice).

        A closing holder erases after every other holder and after the contact row became
        the placeholder: the audit history, whose triggers copy the old values of every
        row the others rewrite, the contact's own included."""
        holders = self._closing if closing else self._holders
        holders[name] = Holder(name=name, export=export, erase=erase)


HOLDERS = Holders()


def values_of(row: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """A row's fields as the export writes them (choices as their labels)."""
    out: dict[str, Any] = {"id": row.pk}
    for name in fields:
        display = getattr(row, f"get_{name}_display", None)
        out[name] = display() if display else getattr(row, name)
    return out
