"""How an app declares a list: its columns, its filters form, the rows a user may see.

    DEALS = ListSpec(
        key="deals", title="Deals", url_name="pipeline:deal_table",
        csv_url_name="pipeline:deal_table_csv", columns=[Column(...), ...],
        default_sort="expected_close", filter_form=DealTableFilterForm,
        base=deal_table_base, rows=deal_table_rows, default_query=my_open_deals,
    )
    register_list(DEALS)

An app above the one that declared a list adds columns to it in its AppConfig.ready():
`get_list("accounts").add_column(Column(...))`; a column brings the annotations it needs
(`prepare`), applied to the page's rows, to the CSV and to the sort when it is the sort.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Expression, F, Model, OrderBy, QuerySet
from django.utils.html import conditional_escape

from salesflow.core.lists.keyset import SORT_ALIAS, Cursor, after, as_text, from_text
from salesflow.core.models import User

PER_PAGE = 50
# The address's own keys, beside a list's filters.
SORT, CURSOR, COLUMNS, VIEW = "sort", "after", "cols", "view"
NOT_FILTERS = {SORT, CURSOR, COLUMNS, VIEW}

Prepare = Callable[[QuerySet[Any]], QuerySet[Any]]


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    """One column of a list.

    sort: a field path or an expression (None: the column does not sort); `prepare`
    annotates what the expression names. invert: the column's ascending order is the
    expression's descending one ("days in stage" sorts on when the deal entered it).
    nullable: whether the sort value may be NULL (NULLs always come last); a column that
    never is gets the index-friendly keyset condition.
    value: the cell as plain data (the CSV's); html: the cell as HTML (default: the value,
    escaped).
    """

    key: str
    label: str
    value: Callable[[Any], object]
    sort: str | Expression | None = None
    html: Callable[[Any], str] | None = None
    prepare: Prepare | None = None
    default: bool = True
    always: bool = False  # shown whatever the chooser says (the row's name)
    nullable: bool = True
    invert: bool = False
    css: str = ""  # the cells' classes, e.g. "text-end"

    def cell(self, row: object) -> str:
        if self.html is not None:
            return self.html(row)
        return conditional_escape(_text(self.value(row)))

    def csv(self, row: object) -> object:
        value = self.value(row)
        return "" if value is None else value

    def sort_expression(self) -> Expression:
        assert self.sort is not None
        return F(self.sort) if isinstance(self.sort, str) else self.sort


@dataclass
class ListSpec:
    """A list: what it is called, where it lives, and how it finds and shows its rows.

    filter_form(data, user=…) -> a bound form (data None: unbound);
    base(user=…, form=…) -> the rows the user may see that pass the form's valid filters;
    rows(queryset) -> the queryset with what the shown rows need joined in (select_related,
      annotations); the columns' prepare() are applied on top of it;
    default_query(user) -> the address's query (filters and sort) of the list opened bare
      when the user keeps no default view; default_name(user) what that view is called.
    """

    key: str
    title: str
    model: type[Model]
    url_name: str
    csv_url_name: str
    columns: list[Column]
    default_sort: str
    filter_form: Callable[..., forms.Form]
    base: Callable[..., QuerySet[Any]]
    rows: Callable[[QuerySet[Any]], QuerySet[Any]]
    default_query: Callable[[User], str] = lambda user: ""
    # What the list opened bare is called, for the person (a rep's "My open deals").
    default_name: Callable[[User], str] = lambda user: "The usual view"
    per_page: int = PER_PAGE
    _extra: list[tuple[Column, str | None]] = field(default_factory=list)

    def add_column(self, column: Column, *, after: str | None = None) -> Column:
        """Add another app's column (once: ready() may run again), after the named one or
        at the end."""
        if all(existing.key != column.key for existing, _ in self._extra):
            self._extra.append((column, after))
        return column

    def all_columns(self) -> list[Column]:
        found = list(self.columns)
        for column, place in self._extra:
            keys = [c.key for c in found]
            found.insert(keys.index(place) + 1 if place in keys else len(found), column)
        return found

    def column(self, key: str) -> Column | None:
        return next((c for c in self.all_columns() if c.key == key), None)

    def default_columns(self) -> list[str]:
        return [c.key for c in self.all_columns() if c.default or c.always]

    def clean_columns(self, keys: Iterable[str]) -> list[str]:
        """The keys that name columns, once each, in the order given, with the columns that
        are always shown; the defaults when nothing is left."""
        known = {c.key: c for c in self.all_columns()}
        chosen = list(dict.fromkeys(k for k in keys if k in known))
        if not chosen:
            return self.default_columns()
        always = [c.key for c in self.all_columns() if c.always and c.key not in chosen]
        return always + chosen

    def parse_sort(self, text: str | None) -> tuple[Column, bool] | None:
        """("-value") -> (the value column, descending), or None for an unknown sort."""
        text = (text or "").strip()
        descending = text.startswith("-")
        column = self.column(text.removeprefix("-"))
        if column is None or column.sort is None:
            return None
        return column, descending


def register_list(spec: ListSpec) -> ListSpec:
    LISTS[spec.key] = spec
    return spec


def get_list(key: str) -> ListSpec:
    return LISTS[key]


# Every list, by key: the apps register theirs in their modules (imported by ready()).
LISTS: dict[str, ListSpec] = {}


def ordered(queryset: QuerySet[Any], column: Column, descending: bool) -> QuerySet[Any]:
    """The queryset sorted on the column (NULLs last), then by id the same way."""
    if column.prepare is not None:
        queryset = column.prepare(queryset)
    expression_descending = descending != column.invert
    order = OrderBy(
        F(SORT_ALIAS),
        descending=expression_descending,
        # Only where NULLs can be: an explicit NULLS LAST on a descending sort would keep
        # PostgreSQL off a plain index.
        nulls_last=True if column.nullable else None,
    )
    pk_order = "-pk" if expression_descending else "pk"
    return queryset.annotate(**{SORT_ALIAS: column.sort_expression()}).order_by(order, pk_order)


def sort_field(queryset: QuerySet[Any]) -> Any:
    return queryset.query.annotations[SORT_ALIAS].output_field


def page_after(
    queryset: QuerySet[Any], column: Column, descending: bool, cursor: Cursor | None
) -> QuerySet[Any]:
    """The sorted queryset from after the cursor's row; ValueError for a cursor whose value
    the sort cannot read."""
    sorted_rows = ordered(queryset, column, descending)
    if cursor is None:
        return sorted_rows
    value = None if cursor.value is None else from_text(cursor.value, sort_field(sorted_rows))
    return sorted_rows.filter(
        after(value, cursor.pk, descending=descending != column.invert, nullable=column.nullable)
    )


def next_cursor(sort: str, last: tuple[int, object], shown: int) -> Cursor:
    pk, value = last
    return Cursor(sort=sort, value=as_text(value), pk=pk, shown=shown)
