from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from salesflow.core import services
from salesflow.core.models import Notification, OutboxMessage, Team, User, WorkerHeartbeat
from salesflow.core.outbox import services as outbox_services


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active", "is_staff"]
    list_select_related = ["team"]
    # Staff and superuser flags follow the role (services.user_apply_role), so the form
    # offers the role instead of checkboxes that would be overwritten on save.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("salesflow", {"fields": ("role", "team", "time_zone", "is_active")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("salesflow", {"fields": ("first_name", "last_name", "email", "role", "team")}),
    )

    def get_fieldsets(self, request, obj=None):  # noqa: ANN001, ANN201 - Django's signature
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.has_perm("core.change_user"):
            return fieldsets
        # Read-only viewers (sales ops) get no "Reset password" button they may not use.
        first, *rest = fieldsets
        return ((first[0], {**first[1], "fields": ("username",)}), *rest)

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201 - Django's signature
        services.user_apply_role(user=obj)
        super().save_model(request, obj, form, change)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "review_followups"]
    list_select_related = ["manager"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201 - Django's signature
        super().save_model(request, obj, form, change)
        services.team_join_manager(team=obj)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker", "last_seen"]
    readonly_fields = ["worker", "last_seen"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201 - Django's signature
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201 - Django's signature
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What salesflow sent, is sending and could not deliver; read-only but for a retry."""

    list_display = ["subject", "recipient", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject", "message_id"]
    date_hierarchy = "created_at"
    actions = ["retry"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201 - Django's signature
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201 - Django's signature
        return False

    @admin.action(description="Try the undeliverable ones again", permissions=["view"])
    def retry(self, request, queryset):  # noqa: ANN001, ANN201 - Django's signature
        count = outbox_services.outbox_retry(messages=queryset)
        self.message_user(request, f"{count} message(s) will be tried again.")


# Personal API tokens: everyone's listed and revocable, their secrets never shown.
# Two-factor sign-in's devices: listed and deletable (a reset), their secrets never shown.
from salesflow.core.api import admin as _api_admin  # noqa: E402, F401
from salesflow.core.apitokens import admin as _apitokens_admin  # noqa: E402, F401

# Saved views and column choices of the lists: read-only, deletable.
from salesflow.core.lists import admin as _lists_admin  # noqa: E402, F401
from salesflow.core.twofactor import admin as _twofactor_admin  # noqa: E402, F401

# Webhook endpoints (their secrets never shown) and the log of delivery attempts.
from salesflow.core.webhooks import admin as _webhooks_admin  # noqa: E402, F401
