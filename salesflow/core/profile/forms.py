"""The profile page's forms: one per section, each saved on its own."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django import forms
from django.contrib.auth.forms import PasswordChangeForm

from salesflow.core.models import Notification, User


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every zone the system knows, grouped by region ("Europe", "America"…) so the list
    is walkable with the keyboard; zones without a region under "Other"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    # Names of files beside the zones ("localtime", "posixrules") are not places to offer.
    for name in sorted(z for z in zoneinfo.available_timezones() if z[:1].isupper()):
        region, _, place = name.partition("/")
        # The whole name as the label: a closed select shows only the chosen option.
        groups.setdefault(region if place else "Other", []).append((name, name.replace("_", " ")))
    return sorted(groups.items(), key=lambda item: (item[0] == "Other", item[0]))


class DetailsForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(
        max_length=254,
        required=False,
        help_text="Where salesflow sends your notifications and password resets. "
        "You sign in with your username, which stays as it is.",
    )


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=time_zone_choices,
        help_text="Every time salesflow shows you is in this zone, and your follow-ups wait "
        "for business mornings in it. Follow-ups already held keep the time they were given.",
    )


class EmailsForm(forms.Form):
    wanted = forms.MultipleChoiceField(
        label="Email me when",
        choices=list(Notification.EMAILED.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="You are always told in salesflow itself; this is about email as well.",
    )

    @classmethod
    def for_user(cls, user: User) -> EmailsForm:
        return cls(
            initial={"wanted": [k for k in Notification.EMAILED if k not in user.emails_muted]}
        )


class PasswordForm(PasswordChangeForm):
    """Django's form (the current password, then the new one twice, checked by the site's
    password rules), without its autofocus: on this page it would scroll past every other
    section to the password as the page opens."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["old_password"].label = "Current password"
