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
def list_cells(columns: list[Column], row: object) -> SafeString:
    """A row's cells, one <td> a column, made in one call: a page is 50 rows of up to 18
    columns, and a template tag per cell costs more than the page's queries."""
    # Column.cell escapes whatever it takes from the row; css is the list's own.
    return mark_safe(
        "".join(f'<td class="{column.css}">{column.cell(row)}</td>' for column in columns)
    )


@register.simple_tag
def list_sort_address(state: object, column: Column) -> str:
    return state.sort_address(column)  # type: ignore[attr-defined]
