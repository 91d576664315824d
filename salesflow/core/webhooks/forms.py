"""The endpoint form: what sales ops type in. The URL's rules (scheme, address) are the
service's, so the form and the delivery check them the same way."""

from __future__ import annotations

from django import forms

from salesflow.core.webhooks.events import EVENTS


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="Where salesflow sends each event, e.g. https://hooks.example.com/salesflow.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(
        label="Description",
        max_length=200,
        required=False,
        help_text="Optional. Who receives it and why, e.g. “Billing system”.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=EVENTS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only these are sent to the endpoint.",
        error_messages={"required": "Pick at least one event."},
    )
