"""Reading an import's CSV, whatever its kind: the header, the rows with their line
numbers, the rows through a column mapping, and the list of (row, column, problem) that a
kind's check fills before anything is written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import models

from salesflow.core.web import csv_unsafe

MAX_ERRORS = 200
MAX_COLUMNS = 100
MAX_HEADER = 100
PROGRESS_EVERY = 500


def progress_key(import_id: int) -> str:
    return f"account-import:{import_id}:progress"


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


class RowErrors(Exception):
    """Problems found while writing (a rule a service enforces): the import's transaction
    rolls back and the report lists them, as for problems found by the check."""

    def __init__(self, errors: list[dict[str, object]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class ParsedRow:
    line: int
    data: dict[str, object]


@dataclass
class Checked:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    error_count: int = 0
    # What the kind's check decided to do with the rows (created, updated, left), for its write.
    plan: object = None

    def add_error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": line, "column": column, "message": message})


def read_rows(content: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and the data rows with their line numbers in the file (the header is 1).

    Which columns mean what is the mapping's business (kinds.py, the mapping screen); here
    only a header that cannot name columns is refused."""
    reader = csv.reader(io.StringIO(content))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    except csv.Error as exc:
        raise ImportFileError(f"This is not a readable CSV file ({exc}).") from None
    if not any(header):
        raise ImportFileError("The first line must name the columns.")
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"The file has {len(header)} columns; at most {MAX_COLUMNS}.")
    if any(len(name) > MAX_HEADER for name in header):
        raise ImportFileError(f"A column's name is longer than {MAX_HEADER} characters.")
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise ImportFileError(f"Columns named twice: {', '.join(duplicated)}.")

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
                # An export's cells come back as they were stored (web.csv_safe's inverse).
                cells = (csv_unsafe(value.strip()) for value in values)
                yield reader.line_num, dict(zip(header, cells, strict=False))
        except csv.Error as exc:
            raise ImportFileError(f"Line {reader.line_num} cannot be read: {exc}") from None

    return header, rows()


def read_header(content: str) -> list[str]:
    return read_rows(content)[0]


def mapped_rows(content: str, mapping: dict[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows as {field: text} through the mapping; columns mapped to nothing are left out."""
    _, rows = read_rows(content)
    chosen = {header: name for header, name in mapping.items() if name}
    for line, values in rows:
        yield line, {name: values.get(header, "") for header, name in chosen.items()}


def count_rows(content: str) -> int:
    _, rows = read_rows(content)
    return sum(1 for _ in rows)


def choice(value: str, choices: type[models.TextChoices]) -> str | None:
    """The choice a cell names, by its value or its label, case aside."""
    lowered = value.strip().lower()
    for choice_value, label in choices.choices:
        if lowered in {choice_value, label.lower()}:
            return choice_value
    return None
