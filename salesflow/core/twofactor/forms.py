from __future__ import annotations

import re

from django import forms

# Longest thing worth reading: a recovery code with separators, or 6 digits with spaces.
CODE_MAX_LENGTH = 32
_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_code(text: str) -> str:
    """What people type from an app or a printout: "123 456", "abcd-efgh", "ABCD EFGH"."""
    return _SEPARATORS.sub("", text).lower()


class CodeForm(forms.Form):
    """A code from the authenticator app, or (where `recovery` is allowed) a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=CODE_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: object, recovery: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.recovery = recovery
        field = self.fields["code"]
        if recovery:
            field.help_text = "The 6 digits your authenticator app shows, or a recovery code."
        else:
            field.help_text = "The 6 digits your authenticator app shows."
            field.widget.attrs["inputmode"] = "numeric"

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if code.isascii() and code.isdigit() and len(code) == 6:
            return code
        # Recovery codes are 8 letters and digits (django-otp's StaticToken.random_token).
        if self.recovery and code.isascii() and code.isalnum() and len(code) == 8:
            return code
        if self.recovery:
            raise forms.ValidationError(
                "Type the 6 digits from your authenticator app, or an 8-character recovery code."
            )
        raise forms.ValidationError("Type the 6 digits your authenticator app shows.")
