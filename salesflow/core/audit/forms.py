"""The audit page's filter: a period, and optionally one person, one kind of record and one
door. Every value is checked before a query is made; a bad one is an error on the form,
never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import capfirst

from salesflow.core.audit.selectors import AUDITED, DOORS
from salesflow.core.fields import DATE_RANGE_MESSAGE, DateInput, IdChoiceField, in_date_range
from salesflow.core.models import User


class AuditFilterForm(forms.Form):
    since = forms.DateField(required=False, label="From", widget=DateInput())
    until = forms.DateField(required=False, label="To", widget=DateInput())
    user = IdChoiceField(
        queryset=User.objects.order_by("first_name", "last_name", "username"),
        required=False,
        label="Who",
        empty_label="Anyone",
    )
    model = forms.ChoiceField(required=False, label="What")
    door = forms.ChoiceField(required=False, label="Through")
    page = forms.IntegerField(
        required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [
            ("", "Every kind of record"),
            *(
                (label, capfirst(model._meta.verbose_name_plural))
                for label, model in AUDITED.items()
            ),
        ]
        self.fields["door"].choices = [("", "Every door"), *DOORS.items()]
        # The user list shows names, as every line of the page does.
        self.fields["user"].label_from_instance = lambda user: user.display_name

    def _clean_date(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        if value is not None and not in_date_range(value):
            raise forms.ValidationError(DATE_RANGE_MESSAGE)
        return value

    def clean_since(self) -> Any:
        return self._clean_date("since")

    def clean_until(self) -> Any:
        return self._clean_date("until")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "Pick a day on or after the first one.")
        return data
