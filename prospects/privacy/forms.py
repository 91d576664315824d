from __future__ import annotations

from django import forms


class EraseForm(forms.Form):
    """The erasure's confirmation: the contact's full name or email, typed. The service
    compares it (services.confirmation_matches), so every door asks the same."""

    confirmation = forms.CharField(
        label="Type the contact's full name or email to confirm",
        max_length=300,
        strip=True,
        # The page is opened to do this one thing: the keyboard starts in the field.
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}
        ),
        error_messages={"required": "Type the contact's full name or email to confirm."},
    )
