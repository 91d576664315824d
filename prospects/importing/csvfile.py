"""Reading and checking an accounts CSV, row by row, before anything is written.

One row per contact; rows with the same account_name make one account, whose fields come
from its first row. A row without contact_name adds an account with no contact.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django import forms
from django.db import models

from prospects.models import Account, Contact, LeadSource, Segment
from salesflow.core.models import User

COLUMNS = [
    "account_name",
    "website",
    "segment",
    "lead_source",
    "owner",
    "status",
    "disqualified_reason",
    "contact_name",
    "contact_title",
    "contact_email",
    "contact_phone",
    "contact_role",
]
# Columns an export has that an import does not set: accepted and ignored, so an exported
# file can be imported again.
IGNORED_COLUMNS = ["has_problem", "accepts_significance", "ready_to_act"]
MAX_ERRORS = 200
PROGRESS_EVERY = 500


def progress_key(import_id: int) -> str:
    return f"account-import:{import_id}:progress"


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


class RowForm(forms.Form):
    account_name = forms.CharField(max_length=200)
    website = forms.URLField(max_length=300, required=False, assume_scheme="https")
    segment = forms.CharField(max_length=80, required=False)
    lead_source = forms.CharField(max_length=80, required=False)
    owner = forms.CharField(max_length=150, required=False)
    status = forms.CharField(max_length=20, required=False)
    disqualified_reason = forms.CharField(max_length=2000, required=False)
    contact_name = forms.CharField(max_length=200, required=False)
    contact_title = forms.CharField(max_length=200, required=False)
    contact_email = forms.EmailField(max_length=254, required=False)
    contact_phone = forms.CharField(max_length=40, required=False)
    contact_role = forms.CharField(max_length=20, required=False)


@dataclass
class ParsedRow:
    line: int
    data: dict[str, object]


@dataclass
class Checked:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    error_count: int = 0

    def add_error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": line, "column": column, "message": message})


def read_rows(content: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and the data rows with their line numbers in the file (the header is 1)."""
    reader = csv.reader(io.StringIO(content))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    except csv.Error as exc:
        raise ImportFileError(f"This is not a readable CSV file ({exc}).") from None
    if "account_name" not in header:
        raise ImportFileError("The first line must name the columns, including account_name.")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise ImportFileError(f"Columns named twice: {', '.join(duplicated)}.")
    unknown = [name for name in header if name not in COLUMNS + IGNORED_COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown columns: {', '.join(unknown)}. Known: {', '.join(COLUMNS)}."
        )

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for values in reader:
                if not any(value.strip() for value in values):
                    continue
                if len(values) > len(header):
                    raise ImportFileError(
                        f"Line {reader.line_num} has {len(values)} cells but the header names "
                        f"{len(header)} columns; check its commas and quotes."
                    )
                yield reader.line_num, dict(zip(header, (v.strip() for v in values), strict=False))
        except csv.Error as exc:
            raise ImportFileError(f"Line {reader.line_num} cannot be read: {exc}") from None

    return header, rows()


def count_rows(content: str) -> int:
    _, rows = read_rows(content)
    return sum(1 for _ in rows)


def _choice(value: str, choices: type[models.TextChoices]) -> str | None:
    lowered = value.strip().lower()
    for choice_value, label in choices.choices:
        if lowered in {choice_value, label.lower()}:
            return choice_value
    return None


def check(
    content: str,
    *,
    owners: dict[str, User],
    actor: User,
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """Validate every row; collect (row, column, message) errors rather than stopping."""
    segments = {name.lower(): pk for pk, name in Segment.objects.values_list("pk", "name")}
    sources = {name.lower(): pk for pk, name in LeadSource.objects.values_list("pk", "name")}
    checked = Checked()
    _, rows = read_rows(content)
    for count, (line, values) in enumerate(rows, start=1):
        form = RowForm(values)
        before = checked.error_count
        if not form.is_valid():
            for column, messages in form.errors.items():
                for message in messages:
                    checked.add_error(line, column, message)
        # Check the rest of the row too, so one upload reports every problem at once.
        data = {column: form.cleaned_data.get(column, values.get(column, "")) for column in COLUMNS}
        _resolve(
            data, line, checked, segments=segments, sources=sources, owners=owners, actor=actor
        )
        if checked.error_count == before:
            checked.rows.append(ParsedRow(line=line, data=data))
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    return checked


def _resolve(
    data: dict[str, object],
    line: int,
    checked: Checked,
    *,
    segments: dict[str, int],
    sources: dict[str, int],
    owners: dict[str, User],
    actor: User,
) -> None:
    for column, known in (("segment", segments), ("lead_source", sources)):
        name = str(data[column])
        data[column] = None
        if name:
            if name.lower() not in known:
                checked.add_error(line, column, f"“{name}” is not one of sales ops' list.")
            else:
                data[column] = known[name.lower()]
    owner = str(data["owner"]) or actor.username
    if owner not in owners:
        checked.add_error(line, "owner", f"“{owner}” is not someone you can give accounts to.")
    data["owner"] = owners.get(owner)
    status = _choice(str(data["status"]) or Account.Status.PROSPECT, Account.Status)
    if status is None:
        checked.add_error(line, "status", "Use prospect, customer or disqualified.")
    elif status == Account.Status.DISQUALIFIED and not data["disqualified_reason"]:
        checked.add_error(line, "disqualified_reason", "Say why the account is disqualified.")
    data["status"] = status
    role = _choice(str(data["contact_role"]) or Contact.BuyingRole.UNKNOWN, Contact.BuyingRole)
    if role is None:
        checked.add_error(
            line,
            "contact_role",
            "Use champion, decision maker, influencer, user, blocker or unknown.",
        )
    data["contact_role"] = role
    if not data["contact_name"] and any(
        data[c] for c in ("contact_title", "contact_email", "contact_phone")
    ):
        checked.add_error(line, "contact_name", "A contact needs a name.")
