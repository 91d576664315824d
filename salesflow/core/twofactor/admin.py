"""The admin of two-factor sign-in: who has it on, and a reset for a lost phone.

django-otp's own admin pages show each authenticator's secret (and a QR code of it) and
every recovery code; an admin who could read those could sign in as anyone. These replace
them: the devices are listed, never shown, and deleting a user's devices is the reset
(they set it up again at their next sign-in).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from salesflow.core.admin_site import private_column

private_column(TOTPDevice, "key")
private_column(StaticToken, "token")

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class DeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a device is made by its owner, scanning the code themselves

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


admin.site.register(TOTPDevice, DeviceAdmin)
admin.site.register(StaticDevice, DeviceAdmin)
