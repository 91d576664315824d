from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from salesflow.core.apitokens.services import NAME_MAX_LENGTH

# Far enough for any planned use; a token meant to live longer should simply not expire.
LONGEST_EXPIRY = timedelta(days=5 * 366)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX_LENGTH,
        help_text="Where you will use it, e.g. “Reporting spreadsheet”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        help_text="Optional. The token stops working at the end of this day.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_expires_on(self) -> date | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("Pick a day after today, or leave it empty.")
        if day > today + LONGEST_EXPIRY:
            raise forms.ValidationError("Pick a day within five years, or leave it empty.")
        return day

    @property
    def expires_at(self) -> datetime | None:
        """The end of the chosen day, in the user's own time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
