"""Saved views and column choices in the admin: listed to see who keeps what, deletable (a
view gone stale); made and changed by their owners on the lists themselves."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from salesflow.core.lists.models import ListColumns, SavedView


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "list_key", "owner", "team", "is_default", "updated_at"]
    list_filter = ["list_key", "is_default"]
    list_select_related = ["owner", "team"]
    search_fields = ["name", "owner__username"]
    fields = ["name", "list_key", "owner", "team", "is_default", "query", "columns", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ListColumns)
class ListColumnsAdmin(admin.ModelAdmin):
    list_display = ["user", "list_key", "columns"]
    list_filter = ["list_key"]
    list_select_related = ["user"]
    fields = ["user", "list_key", "columns"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
