"""Keyset (cursor) pagination for every list of the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView


class KeysetPagination(CursorPagination):
    """Pages that stay put while rows are added: the cursor remembers the last row's sort
    key, not an offset, so a row inserted while a client walks the pages is neither read
    twice nor makes it skip one. Oldest change first, so that walking the pages with
    ``updated_since`` from a sync's last run reads everything changed since, once.

    Every list sorts on an indexed column ending in ``id`` (see each view's
    ``pagination_ordering``); the cursor is opaque to clients.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("updated_at", "id")

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> tuple[str, ...]:
        return tuple(getattr(view, "pagination_ordering", self.ordering))

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF answers a cursor it cannot read with 404; it is bad input, so 400 it is.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {"cursor": ["This cursor is not one this list gave out; start again without it."]}
            ) from None
