"""What every list's cells and filters share: dates as a list shows them and as its CSV
writes them, links, the owner's name to sort by, and the filter forms' look."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import CharField, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.html import format_html

from salesflow.core.fields import DATE_RANGE_MESSAGE, in_date_range
from salesflow.core.lists.forms import QuickSelect

# Sorts people as the cells name them: full name, the username breaking ties.
OWNER_NAME = Concat(
    "owner__first_name",
    Value(" "),
    "owner__last_name",
    Value(" "),
    "owner__username",
    output_field=CharField(),
)


def day(value: date | datetime | None) -> str:
    """A date as the lists show it ("—" for none), a time as its day in the user's zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localdate(value)
    # Not date_format: its localisation lookups cost more than the rest of a cell, and
    # salesflow speaks English only.
    return f"{value.day} {value:%b %Y}"


def iso(value: date | datetime | None) -> str:
    """A date or time as the CSV writes it."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return value.isoformat() if value else ""


def link(url: str, text: str) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


def style_filters(form: forms.Form) -> None:
    """A list's filters as its filter bar draws them: small controls, "Any" for no choice,
    selects drawn in Python (the owner filter offers everyone in reach, on every page)."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = "Any"
        if type(field.widget) is forms.Select:
            field.widget = QuickSelect(attrs=field.widget.attrs)
            field.widget.choices = field.choices
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs["class"] = f"{css} {css}-sm"


class FilterForm(forms.Form):
    """A list's filters whose dates must lie within the range every date field accepts."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in list(cleaned.items()):
            if isinstance(value, date) and not in_date_range(value):
                self.add_error(name, DATE_RANGE_MESSAGE)
        return cleaned


def valid_filters(form: forms.Form) -> dict[str, Any]:
    """The filters that parsed; one that did not is left out (the form shows its error)."""
    return getattr(form, "cleaned_data", {}) or {}
