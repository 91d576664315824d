"""Form fields that refuse ids no database row can have, before any query is made.

A huge number in a choice field is an "invalid choice" to the user; without this check
SQLite raises OverflowError (a 500) while converting it for the query.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1


def _check_id(field: forms.Field, value: object) -> None:
    text = str(value).strip()
    # isascii(): str.isdigit() also accepts characters such as "²" that int() refuses.
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValidationError(
            field.error_messages["invalid_choice"], code="invalid_choice", params={"value": text}
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
