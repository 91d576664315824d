from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from pipeline.models import Pipeline, Stage


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
    fields = ["position", "name", "probability", "question_kind", "stuck_after_days", "outcome"]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "segment", "is_default"]
    list_select_related = ["segment"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "position", "probability", "stuck_after_days", "outcome"]
    list_filter = ["pipeline", "outcome"]
    list_select_related = ["pipeline"]
    ordering = ["pipeline", "position"]
