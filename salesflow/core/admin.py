from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from salesflow.core import services
from salesflow.core.models import Team, User, WorkerHeartbeat


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active", "is_staff"]
    list_select_related = ["team"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("salesflow", {"fields": ("role", "team", "time_zone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("salesflow", {"fields": ("first_name", "last_name", "email", "role", "team")}),
    )

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201 - Django's signature
        services.user_apply_role(user=obj)
        super().save_model(request, obj, form, change)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    list_select_related = ["manager"]
    search_fields = ["name"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker", "last_seen"]
    readonly_fields = ["worker", "last_seen"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201 - Django's signature
        return False
