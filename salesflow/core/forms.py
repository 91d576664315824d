from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from salesflow.core.models import User

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


class LoginForm(AuthenticationForm):
    def clean_username(self) -> str:
        # AuthenticationForm shows a maxlength but does not enforce it; an over-long name
        # would otherwise reach authenticate() and the lock-out log, which cannot store it.
        username = self.cleaned_data["username"]
        if len(username) > USERNAME_MAX_LENGTH:
            raise forms.ValidationError(
                f"Usernames are at most {USERNAME_MAX_LENGTH} characters.", code="max_length"
            )
        return username
