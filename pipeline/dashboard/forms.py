from __future__ import annotations

from django import forms
from django.utils import timezone

from pipeline.dashboard.scope import DashboardFilters, sees_own_only
from pipeline.deals.forms import limit_people
from pipeline.deals.models import Pipeline
from prospects.models import LeadSource, Segment
from salesflow.core.fields import DATE_RANGE_MESSAGE, DateInput, IdChoiceField, in_date_range
from salesflow.core.models import Team, User


class DashboardFilterForm(forms.Form):
    team = IdChoiceField(queryset=Team.objects.none(), required=False)
    owner = IdChoiceField(queryset=User.objects.none(), required=False, label="Rep")
    pipeline = IdChoiceField(queryset=Pipeline.objects.all(), required=False)
    segment = IdChoiceField(queryset=Segment.objects.all(), required=False)
    lead_source = IdChoiceField(queryset=LeadSource.objects.all(), required=False)
    start = forms.DateField(required=False, widget=DateInput(), label="From")
    end = forms.DateField(required=False, widget=DateInput(), label="Until")

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        limit_people(self, user)
        if sees_own_only(user):
            del self.fields["team"], self.fields["owner"]  # a rep's dashboard is their own
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm"
                if name
                in {
                    "start",
                    "end",
                }
                else "form-select form-select-sm"
            )
            if hasattr(field, "empty_label"):
                field.empty_label = "Any"

    def clean(self) -> dict[str, object]:
        data = super().clean()
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not in_date_range(value):
                self.add_error(name, DATE_RANGE_MESSAGE)
                data[name] = None
        if data.get("start") and not data.get("end") and data["start"] > timezone.localdate():
            self.add_error("start", "Pick a day up to today, or an Until date as well.")
            data["start"] = None
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "Pick a day after the start.")
            data["end"] = None
        return data

    def filters(self) -> DashboardFilters:
        """The valid filters; an invalid one is dropped and shown as an error."""
        self.is_valid()
        data = self.cleaned_data
        ids = {
            name: data[name].pk if data.get(name) else None
            for name in ("team", "owner", "pipeline", "segment", "lead_source")
        }
        return DashboardFilters(**ids, start=data.get("start"), end=data.get("end"))
