"""Parsing the appointment forms. Times are read in the signed-in user's zone (the page's
active zone), so what the rep types is what the prospect agreed to."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone

from pipeline.appointments.models import Appointment, AppointmentChange
from pipeline.deals.models import Opportunity
from prospects.models import Account, Contact
from salesflow.core.fields import IdChoiceField, IdMultipleChoiceField

# Far enough for any real agreement; a year typed as 20266 is a typo, not a plan.
LATEST_YEAR_AHEAD = 5


class StartField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def clean(self, value: object) -> datetime | None:
        starts_at = super().clean(value)
        if starts_at is None:
            return None
        now = timezone.now()
        if starts_at.year > now.year + LATEST_YEAR_AHEAD or starts_at.year < now.year - 1:
            raise forms.ValidationError("That date is too far off; check the year.")
        return starts_at


class AppointmentDetailsForm(forms.Form):
    kind = forms.ChoiceField(choices=Appointment.Kind.choices, initial=Appointment.Kind.CALL)
    duration_minutes = forms.IntegerField(
        min_value=5, max_value=1440, initial=30, label="Duration (minutes)"
    )
    place = forms.CharField(
        max_length=500,
        required=False,
        label="Place or link",
        help_text="Where you meet, or the call's link.",
    )
    agenda = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5_000
    )
    opportunity = IdChoiceField(queryset=Opportunity.objects.none(), required=False, label="Deal")
    contacts = IdMultipleChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="Who from their side",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["opportunity"].queryset = Opportunity.objects.filter(
            account=account, closed_at__isnull=True
        ).order_by("name", "pk")
        # Only this account's people, and not the erased placeholders.
        self.fields["contacts"].queryset = Contact.objects.filter(
            account=account, erased_at__isnull=True
        ).order_by("name", "pk")

    def clean_place(self) -> str:
        return self.cleaned_data["place"].replace("\x00", "")

    def clean_agenda(self) -> str:
        return self.cleaned_data["agenda"].replace("\x00", "")


class AppointmentForm(AppointmentDetailsForm):
    """A new appointment: its details and the time they agreed to."""

    starts_at = StartField(label="Starts (the time they agreed to)")

    field_order = ["starts_at", "kind", "duration_minutes", "place", "agenda", "opportunity"]

    def clean_starts_at(self) -> datetime:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at < timezone.now():
            raise forms.ValidationError("Pick a time that has not passed yet.")
        return starts_at


class RescheduleForm(forms.Form):
    starts_at = StartField(label="New time")
    moved_by = forms.ChoiceField(
        choices=AppointmentChange.MovedBy.choices,
        widget=forms.RadioSelect,
        label="Who asked to move it?",
    )

    def clean_starts_at(self) -> datetime:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at < timezone.now():
            raise forms.ValidationError("Pick a time that has not passed yet.")
        return starts_at
