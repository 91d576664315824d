"""A list's cells: each column renders its own (salesflow.core.lists.spec.Column)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from salesflow.core.lists.spec import Column

register = template.Library()


@register.simple_tag
def list_cell(column: Column, row: object) -> SafeString:
    # Column.cell escapes (conditional_escape / format_html) whatever it takes from the row.
    return mark_safe(column.cell(row))


@register.simple_tag
def list_sort_address(state: object, column: Column) -> str:
    return state.sort_address(column)  # type: ignore[attr-defined]
