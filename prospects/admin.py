from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest

from prospects import services
from prospects.models import (
    READINESS_QUESTIONS,
    Account,
    AccountEvent,
    AccountImport,
    Contact,
    Conversation,
    Erasure,
    FacilitativeQuestion,
    ImportMapping,
    LeadSource,
    Segment,
    WhyNote,
)
from prospects.services import ACCOUNT_FIELDS


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(LeadSource)
class LeadSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "cost_basis", "cost", "currency", "active"]
    list_filter = ["active", "cost_basis"]
    search_fields = ["name"]


@admin.register(FacilitativeQuestion)
class FacilitativeQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["text"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Contact]:
        # An erased contact's placeholder stays anonymous: not offered for editing here
        # either (prospects.services.contact_save refuses it on the site).
        return super().get_queryset(request).filter(erased_at__isnull=True)


class AccountAdminForm(forms.ModelForm):
    website = forms.URLField(max_length=300, required=False, assume_scheme="https")

    class Meta:
        model = Account
        fields = list(ACCOUNT_FIELDS)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        # The service would refuse it on save; say so on the form, with nothing saved.
        if "status" in data and data["status"] != self.instance.status:
            try:
                services.account_check_status(account=self.instance, status=data["status"])
            except ValidationError as refusal:
                self.add_error(None, refusal)
        return data


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountAdminForm
    list_display = ["name", "owner", "segment", "status"]
    list_filter = ["status", "segment", "lead_source"]
    list_select_related = ["owner", "segment"]
    search_fields = ["name"]
    raw_id_fields = ["owner"]
    inlines = [ContactInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Readiness is derived from conversations, never typed in.
    readonly_fields = [
        f"{question}{suffix}"
        for question, _ in READINESS_QUESTIONS
        for suffix in ("", "_changed_at")
    ]

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201 - Django's signature
        # Through the services, like every other entry point, so the timeline and the
        # owner rules hold for admin edits too.
        values = {
            field: form.cleaned_data[field]
            for field in ACCOUNT_FIELDS
            if field in form.cleaned_data
        }
        if change:
            services.account_update(actor=request.user, account=obj, **values)
            return
        created = services.account_create(actor=request.user, **values)
        # The admin saves the contact inlines against this same object next.
        obj.pk, obj._state.adding = created.pk, False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "buying_role", "email"]
    list_select_related = ["account"]
    search_fields = ["name", "email"]
    raw_id_fields = ["account"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["account", "kind", "channel", "occurred_at", "logged_by"]
    list_filter = ["kind", "channel"]
    list_select_related = ["account", "logged_by"]
    raw_id_fields = ["account", "logged_by", "contacts"]
    date_hierarchy = "occurred_at"


@admin.register(WhyNote)
class WhyNoteAdmin(admin.ModelAdmin):
    list_display = ["account", "text", "said_on", "recorded_by"]
    list_select_related = ["account", "recorded_by"]
    raw_id_fields = ["account", "said_by", "recorded_by"]


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    list_display = ["account", "kind", "occurred_at", "actor"]
    list_filter = ["kind"]
    list_select_related = ["account", "actor"]
    raw_id_fields = ["account", "actor", "conversation", "why_note"]


@admin.register(AccountImport)
class AccountImportAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "kind",
        "mode",
        "uploaded_by",
        "status",
        "total_rows",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["uploaded_by"]
    exclude = ["content"]  # the whole uploaded file; too large to show in a form
    readonly_fields = [
        "uploaded_by",
        "file_name",
        "status",
        "total_rows",
        "errors",
        "accounts_created",
        "contacts_created",
        "finished_at",
        "kind",
        "mapping",
        "mode",
        "counts",
    ]


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "owner", "updated_at"]
    list_filter = ["kind"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    """The record of erasures, read-only: made by prospects.privacy.services.contact_erase
    only, and kept as it was written."""

    list_display = ["contact_pk", "erased_by", "erased_at", "total"]
    list_select_related = ["erased_by"]
    readonly_fields = ["contact", "contact_pk", "erased_by", "erased_at", "counts"]
    date_hierarchy = "erased_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Erasure | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Erasure | None = None) -> bool:
        return False
