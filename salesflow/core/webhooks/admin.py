"""Webhook endpoints and their delivery log in the admin: read-only, secrets never shown
(the endpoints are managed, and their secrets shown once, on the Webhooks pages)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from salesflow.core.admin_site import private_column
from salesflow.core.webhooks.models import WebhookAttempt, WebhookEndpoint

# The key that signs every delivery: whoever reads it can forge salesflow's messages.
private_column(WebhookEndpoint, "secret")


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_ReadOnly):
    list_display = ["url", "owner", "status", "consecutive_failures", "created_at", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["owner"]
    search_fields = ["url", "description"]
    fields = [
        "url",
        "description",
        "events",
        "owner",
        "status",
        "status_reason",
        "consecutive_failures",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(_ReadOnly):
    list_display = ["message", "at", "status_code", "duration_ms", "error"]
    list_select_related = ["message"]
    raw_id_fields = ["message"]
    date_hierarchy = "at"
    fields = ["message", "at", "status_code", "duration_ms", "response_excerpt", "error"]
    readonly_fields = fields

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the log is what happened
