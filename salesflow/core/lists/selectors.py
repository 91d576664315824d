"""Reads of a list: what the address asks for (list_state), a keyset page of it
(list_page), all of it for the CSV (list_csv_rows), and the person's views and columns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from salesflow.core.fields import whole_number
from salesflow.core.lists.access import saved_views_visible_to
from salesflow.core.lists.keyset import Cursor
from salesflow.core.lists.models import ListColumns, SavedView
from salesflow.core.lists.spec import (
    COLUMNS,
    CURSOR,
    NOT_FILTERS,
    SORT,
    VIEW,
    Column,
    ListSpec,
    next_cursor,
    page_after,
)
from salesflow.core.models import User

# Rows the CSV reads from the database at a time (a server-side cursor).
CSV_CHUNK = 1000


@dataclass
class ListState:
    """What the address asks of a list, every part checked."""

    spec: ListSpec
    user: User
    query: QueryDict  # filters and sort as in effect (the default view's when opened bare)
    form: forms.Form
    sort_column: Column
    descending: bool
    columns: list[Column]
    columns_in_address: bool
    cursor: Cursor | None
    view_pk: int | None
    notice: str = ""
    # Opened bare with no default view of the person's: the list's own default.
    usual: bool = False

    @property
    def usual_name(self) -> str:
        """What the list opened bare is called for this person."""
        return self.spec.default_name(self.user)

    @property
    def sort(self) -> str:
        return ("-" if self.descending else "") + self.sort_column.key

    def address(self, **changes: str | None) -> str:
        """The query string of this view with some keys changed (None: removed), without
        its page."""
        query = self.query.copy()
        if self.columns_in_address:
            query[COLUMNS] = ",".join(c.key for c in self.columns)
        query.pop(CURSOR, None)
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = value
        return query.urlencode()

    def sort_address(self, column: Column) -> str:
        """The address that sorts on the column: ascending, or descending when it already
        sorts ascending on it."""
        flip = column.key == self.sort_column.key and not self.descending
        return self.address(**{SORT: ("-" if flip else "") + column.key, VIEW: None})

    def queryset(self) -> QuerySet[Any]:
        """The rows the user may see that pass the filters, unsorted."""
        return self.spec.base(user=self.user, form=self.form)


@dataclass
class ListPage:
    state: ListState
    rows: list[Any]
    next_token: str | None
    first: int  # the rows' place in the list, from 1
    last: int

    @property
    def has_more(self) -> bool:
        return self.next_token is not None


def default_view(user: User, list_key: str) -> SavedView | None:
    return SavedView.objects.filter(owner=user, list_key=list_key, is_default=True).first()


def saved_views(user: User, list_key: str) -> QuerySet[SavedView]:
    """The user's own views and those shared with their team, by name."""
    return (
        saved_views_visible_to(user)
        .filter(list_key=list_key)
        .select_related("owner")
        .order_by("name", "pk")
    )


def chosen_columns(user: User, list_key: str) -> list[str] | None:
    return (
        ListColumns.objects.filter(user=user, list_key=list_key)
        .values_list("columns", flat=True)
        .first()
    )


def _is_bare(query: QueryDict) -> bool:
    return not any(key not in NOT_FILTERS or key == SORT for key in query)


def list_state(spec: ListSpec, *, user: User, query: QueryDict) -> ListState:
    """The list as the address asks for it. Opened bare (no filters, no sort), the user's
    default view, or the list's own default (spec.default_query). A part that does not
    parse is left out, with a notice or the form's error, never a failure."""
    effective = query.copy()
    columns_text = query.get(COLUMNS)
    usual = False
    if _is_bare(query):
        mine = default_view(user, spec.key)
        usual = mine is None
        effective = QueryDict(mine.query if mine else spec.default_query(user), mutable=True)
        if query.get(CURSOR):
            effective[CURSOR] = query[CURSOR]
        if mine is not None:
            effective[VIEW] = str(mine.pk)
            if mine.columns and columns_text is None:
                columns_text = ",".join(mine.columns)
    data = effective.copy()
    for key in NOT_FILTERS:
        data.pop(key, None)
    # Bound even with every filter empty: the fields' values are the filters.
    form = spec.filter_form(data, user=user)
    form.is_valid()
    notice = ""
    parsed = spec.parse_sort(effective.get(SORT))
    if parsed is None:
        if effective.get(SORT):
            notice = "That sort is not one this list offers; sorted the usual way instead."
            effective.pop(SORT)
        parsed = spec.parse_sort(spec.default_sort)
        assert parsed is not None, f"{spec.key}: default_sort names no sortable column"
    column, descending = parsed
    if columns_text is not None:
        keys = spec.clean_columns(columns_text.split(","))
    else:
        keys = spec.clean_columns(chosen_columns(user, spec.key) or [])
    cursor = None
    token = effective.get(CURSOR)
    if token:
        cursor = Cursor.decode(token)
        sort = ("-" if descending else "") + column.key
        if cursor is None or cursor.sort != sort:
            cursor = None
            notice = "That page's place in the list has gone; here is the start of the list."
    return ListState(
        spec=spec,
        user=user,
        query=effective,
        form=form,
        sort_column=column,
        descending=descending,
        columns=[c for key in keys if (c := spec.column(key)) is not None],
        columns_in_address=columns_text is not None,
        cursor=cursor,
        view_pk=whole_number(effective.get(VIEW)) or None,
        notice=notice,
        usual=usual,
    )


def _prepared(state: ListState, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The rows with what the shown columns need."""
    rows = state.spec.rows(queryset)
    for column in state.columns:
        if column.prepare is not None:
            rows = column.prepare(rows)
    return rows


def list_page(state: ListState) -> ListPage:
    """One page (spec.per_page rows) after the cursor. Two queries: the ids and sort values
    of the page's rows (one more row says whether more follow; no COUNT over the list),
    then those rows with what they show."""
    size = state.spec.per_page
    try:
        ordered = page_after(state.queryset(), state.sort_column, state.descending, state.cursor)
    except ValueError:
        state.cursor = None
        state.notice = "That page's place in the list has gone; here is the start of the list."
        ordered = page_after(state.queryset(), state.sort_column, state.descending, None)
    keys = list(ordered.values_list("pk", "list_sort")[: size + 1])
    more, keys = len(keys) > size, keys[:size]
    ids = [pk for pk, _ in keys]
    by_id = state.spec.model._default_manager.filter(pk__in=ids)
    found = {row.pk: row for row in _prepared(state, by_id)} if ids else {}
    rows = [found[pk] for pk in ids if pk in found]
    shown = state.cursor.shown if state.cursor else 0
    token = next_cursor(state.sort, keys[-1], shown + len(keys)).encode() if more else None
    return ListPage(
        state=state, rows=rows, next_token=token, first=shown + 1, last=shown + len(rows)
    )


def list_csv_rows(state: ListState) -> Iterator[list[object]]:
    """The whole view as shown, its columns in order, as CSV cells (a header first), read
    through a server-side cursor in chunks."""
    yield [column.label for column in state.columns]
    ordered = page_after(state.queryset(), state.sort_column, state.descending, None)
    for row in _prepared(state, ordered).iterator(chunk_size=CSV_CHUNK):
        yield [column.csv(row) for column in state.columns]
