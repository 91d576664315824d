"""The API's kept answers to creations in the admin: read-only, to see what a client's
retries were answered with (the client's key, when, which request). The answers
themselves stay out of sight: they can carry a person's details."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from salesflow.core.admin_site import private_column
from salesflow.core.api.models import IdempotencyKey

private_column(IdempotencyKey, "response_body")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "method", "path", "response_status", "created_at"]
    list_select_related = ["user"]
    search_fields = ["key", "path"]
    fields = ["key", "user", "method", "path", "fingerprint", "response_status", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
