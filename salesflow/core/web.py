"""View helpers every app shares: service errors onto forms, and CSV cells made safe."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError


def form_errors_to(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names, or at the top of the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def csv_safe(row: Iterable[object]) -> list[object]:
    """A CSV row that a spreadsheet shows as written.

    A cell starting with = + - @ would run as a formula when the file is opened in a
    spreadsheet; a leading apostrophe keeps it as text.
    """
    return [
        "'" + value if isinstance(value, str) and value.startswith(("=", "+", "-", "@")) else value
        for value in row
    ]
