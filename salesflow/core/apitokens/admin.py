"""Everyone's API tokens for admins: listed, revocable, their secrets and hashes never shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from salesflow.core.admin_site import private_column
from salesflow.core.apitokens import services
from salesflow.core.apitokens.models import ApiToken

# A hash cannot be turned back into the secret, but it is what a request is matched by:
# no admin page shows it or lets anyone filter by it (and so test guesses against it).
private_column(ApiToken, "key_hash")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "name", "prefix"]
    fields = list_display
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token is made by its owner, who alone ever sees its secret

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        # Sales ops may look; cutting off someone's access is an admin's call (the service
        # says the same).
        return request.user.is_admin

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            try:
                services.apitoken_revoke(actor=request.user, token=token)
            except (PermissionDenied, ValidationError):
                continue  # revoked meanwhile: nothing left to do
            revoked += 1
        level = messages.SUCCESS if revoked else messages.WARNING
        self.message_user(request, f"{revoked} token(s) revoked.", level)
