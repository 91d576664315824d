"""Form fields that refuse ids no database row can have, before any query is made.

A number too big for any id column (or not a whole number at all) in a choice field is an
"invalid choice" to the user, said plainly and before the database is asked: no query is
spent on a value that cannot match.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1

# The dates a person may type anywhere: a typo's year 20026 or 0202 is refused, not stored.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DATE_RANGE_MESSAGE = "Pick a date between 2000 and 2100."


def in_date_range(value: date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


class DateInput(forms.DateInput):
    """The browser's date picker, with the ISO date it sends back."""

    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def whole_number(value: object, *, most: int = MAX_ID) -> int | None:
    """The value as a whole number from 0 to `most`, or None when it is not one: for ids
    and page numbers read from a request."""
    text = str(value if value is not None else "").strip()
    # isascii(): str.isdigit() also accepts characters such as "²" that int() refuses.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(most)):
        return None
    number = int(text)
    return number if number <= most else None


def _check_id(field: forms.Field, value: object) -> None:
    if whole_number(value) is None:
        raise ValidationError(
            field.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": str(value).strip()},
        )


class IdChoiceField(forms.ModelChoiceField):
    def to_python(self, value: object) -> object:
        if value not in self.empty_values:
            _check_id(self, value)
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: object) -> object:
        for item in value or ():  # type: ignore[attr-defined]
            _check_id(self, item)
        return super()._check_values(value)
