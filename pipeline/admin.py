from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet

from pipeline.appointments.models import Appointment, AppointmentChange
from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from pipeline.deals import services as deal_services
from pipeline.deals.models import (
    CloseReason,
    DealContact,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
)
from pipeline.deals.services import OPPORTUNITY_FIELDS
from pipeline.followups.models import FollowUp, FollowUpEvent, PatienceRule
from pipeline.soe.models import (
    CalendarFeed,
    SoeChange,
    SoeStep,
    SoeTemplate,
    SoeTemplateStep,
    StepKind,
)
from pipeline.soe.models import (
    Sequence as SoeSequence,
)
from salesflow.core.admin_site import private_column

# Only a hash of the feed's secret is kept; still, no admin filters by it.
private_column(CalendarFeed, "token_hash")


class StageFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        outcomes = [
            form.cleaned_data.get("outcome")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        # Every deal needs somewhere to go: at least one open stage, a won and a lost one.
        missing = [label for outcome, label in Stage.Outcome.choices if outcome not in outcomes]
        if missing:
            raise ValidationError(
                f"A pipeline needs at least one stage of each kind; missing: {', '.join(missing)}."
            )


class StageInline(admin.TabularInline):
    model = Stage
    formset = StageFormSet
    extra = 0
    ordering = ["position", "pk"]
    fields = [
        "position",
        "name",
        "probability",
        "question_kind",
        "stuck_after_days",
        "outcome",
        "completing_kinds",
    ]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "segment", "is_default", "short_letter_below"]
    list_select_related = ["segment"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "position", "probability", "stuck_after_days", "outcome"]
    list_filter = ["pipeline", "outcome"]
    list_select_related = ["pipeline"]
    ordering = ["pipeline", "position"]


@admin.register(CloseReason)
class CloseReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["kind", "active"]


class StageChangeInline(admin.TabularInline):
    """The deal's history: written by opportunity_move_stage only, so read-only here."""

    model = StageChange
    fk_name = "opportunity"
    extra = 0
    can_delete = False
    fields = ["at", "from_stage", "to_stage", "by", "reason", "note"]
    readonly_fields = fields
    ordering = ["-at", "-pk"]

    def has_add_permission(self, request, obj=None):  # noqa: ANN001, ANN201 - Django's signature
        return False


class OpportunityAdminForm(forms.ModelForm):
    reason = forms.ModelChoiceField(
        queryset=CloseReason.objects.filter(active=True),
        required=False,
        help_text="Needed when the new stage is won or lost.",
    )
    move_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    # The stage the form showed: a save moves the deal only from there, so a move someone
    # made after the form was opened is never silently undone.
    seen_stage = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Opportunity
        fields = ["account", "pipeline", "stage", *OPPORTUNITY_FIELDS]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_stage"].initial = self.instance.stage_id

    def clean(self) -> dict[str, object]:
        data = super().clean()
        stage, reason = data.get("stage"), data.get("reason")
        pipeline = self.instance.pipeline if self.instance.pk else data.get("pipeline")
        if stage and pipeline and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", f"Pick a stage of the {pipeline} pipeline.")
        if stage is None:
            return data
        if not self.instance.pk:
            if stage.is_closed:
                self.add_error("stage", "A new deal starts in an open stage.")
            return data
        seen = data.get("seen_stage")
        current = Opportunity.objects.filter(pk=self.instance.pk).values_list("stage", flat=True)
        if seen != current.first():
            self.add_error(None, "Someone moved this deal since you opened it; reload the page.")
        elif stage.pk != seen:
            if stage.is_closed and (reason is None or not reason.fits(stage.outcome)):
                self.add_error("reason", f"Pick a reason that fits {stage.name}.")
            if not stage.is_closed and reason is not None:
                self.add_error("reason", "A reason is asked only when a deal is won or lost.")
        return data


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    form = OpportunityAdminForm
    list_display = ["name", "account", "owner", "stage", "value", "currency", "closed_at"]
    list_filter = ["pipeline", "stage", "currency"]
    list_select_related = ["account", "owner", "stage"]
    search_fields = ["name", "account__name"]
    raw_id_fields = ["account", "owner"]
    inlines = [StageChangeInline]

    def get_readonly_fields(self, request, obj=None):  # noqa: ANN001, ANN201 - Django's signature
        # A deal keeps its account and pipeline: its history points at that pipeline's stages.
        return ["account", "pipeline"] if obj else []

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201 - Django's signature
        # Through the services, like every other entry point: the stage moves with its
        # history row and the same guards as on the board.
        values = {field: form.cleaned_data[field] for field in OPPORTUNITY_FIELDS}
        if not change:
            created = deal_services.opportunity_create(
                actor=request.user,
                account=form.cleaned_data["account"],
                pipeline=form.cleaned_data["pipeline"],
                stage=form.cleaned_data["stage"],
                **values,
            )
            obj.pk, obj._state.adding = created.pk, False
            return
        stage = form.cleaned_data["stage"]
        seen = Stage.objects.get(pk=form.cleaned_data["seen_stage"])
        try:
            if stage.pk != seen.pk:
                deal_services.opportunity_move_stage(
                    actor=request.user,
                    opportunity=obj,
                    to_stage=stage,
                    from_stage=seen,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["move_note"],
                )
            deal_services.opportunity_update(actor=request.user, opportunity=obj, **values)
        except ValidationError as refusal:
            # The form checked all it could; what is left is a race with another editor.
            # The admin's save is one transaction: undo all of it, and say why.
            transaction.set_rollback(True)
            messages.error(request, "Nothing was saved: " + " ".join(refusal.messages))


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and SOE rows are written by the services only; the admin shows them."""

    def has_add_permission(self, request):  # noqa: ANN001, ANN201 - Django's signature
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdmin):
    list_display = ["opportunity", "from_stage", "to_stage", "at", "by", "reason"]
    list_filter = ["to_stage"]
    list_select_related = ["opportunity", "from_stage", "to_stage", "by", "reason"]
    date_hierarchy = "at"


@admin.register(DealContact)
class DealContactAdmin(ReadOnlyAdmin):
    """Seats on buying committees are added and removed on the deal's page, where the
    service checks the contact belongs to the deal's account."""

    list_display = ["opportunity", "contact", "role", "added_by", "added_at"]
    list_filter = ["role"]
    list_select_related = ["opportunity", "contact", "added_by"]
    date_hierarchy = "added_at"


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    """Appointments are planned, moved and cancelled on their pages, where the services keep
    the history of each move."""

    list_display = ["account", "kind", "starts_at", "duration_minutes", "status", "owner"]
    list_filter = ["kind", "status"]
    list_select_related = ["account", "owner"]
    date_hierarchy = "starts_at"


@admin.register(AppointmentChange)
class AppointmentChangeAdmin(ReadOnlyAdmin):
    list_display = ["appointment", "old_starts_at", "new_starts_at", "moved_by", "by", "at"]
    list_filter = ["moved_by"]
    list_select_related = ["appointment__account", "by"]
    date_hierarchy = "at"


@admin.register(SoeSequence)
class SequenceAdmin(ReadOnlyAdmin):
    list_display = ["opportunity", "reception", "created_at"]
    list_filter = ["reception"]
    list_select_related = ["opportunity"]


@admin.register(SoeStep)
class SoeStepAdmin(ReadOnlyAdmin):
    list_display = ["text", "sequence", "status", "target_date", "done_on"]
    list_filter = ["status", "kind"]
    list_select_related = ["sequence__opportunity"]


@admin.register(SoeChange)
class SoeChangeAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "action", "summary", "at", "by"]
    list_filter = ["action"]
    list_select_related = ["sequence__opportunity", "by"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    list_select_related = ["user"]
    fields = ["user", "created_at"]  # never the token's hash
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201 - Django's signature
        return False


@admin.register(StepKind)
class StepKindAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class SoeTemplateStepInline(admin.TabularInline):
    model = SoeTemplateStep
    extra = 1
    ordering = ["position", "pk"]
    fields = ["position", "text", "kind", "owner_side", "days_after_start"]


@admin.register(SoeTemplateStep)
class SoeTemplateStepAdmin(admin.ModelAdmin):
    list_display = ["text", "template", "position", "kind"]
    list_select_related = ["template", "kind"]


@admin.register(SoeTemplate)
class SoeTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "segment"]
    list_select_related = ["segment"]
    inlines = [SoeTemplateStepInline]


@admin.register(PatienceRule)
class PatienceRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "conversation_kind", "days", "extra_days", "why", "active"]
    list_editable = ["days", "extra_days", "active"]
    list_filter = ["kind", "active"]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["purpose", "account", "owner", "status", "surface_at"]
    list_filter = ["status", "channel", "proposed"]
    list_select_related = ["account", "owner"]


@admin.register(FollowUpEvent)
class FollowUpEventAdmin(ReadOnlyAdmin):
    list_display = ["follow_up", "action", "at", "by"]
    list_select_related = ["follow_up", "by"]


# --- Bulk edits: written by their runs only; the admin shows how each went --------------


@admin.register(BulkEdit)
class BulkEditAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "actor",
        "action",
        "status",
        "total",
        "changed_count",
        "unchanged_count",
        "refused_count",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "action"]
    list_select_related = ["actor"]
    exclude = ["deal_ids", "lease_token"]


@admin.register(BulkEditRow)
class BulkEditRowAdmin(ReadOnlyAdmin):
    list_display = ["job", "deal_id", "outcome", "label", "message", "at"]
    list_filter = ["outcome"]
    list_select_related = ["job", "job__actor"]
    # A job's results, thousands at most: its number finds them ("=12").
    search_fields = ["=job__id"]
