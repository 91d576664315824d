from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from salesflow.core.lists.models import QUERY_LENGTH, SavedView

NAME_LENGTH = SavedView._meta.get_field("name").max_length


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=NAME_LENGTH, label="Name this view")
    # The address's query as the page showed it; the service keeps its filters and sort.
    query = forms.CharField(max_length=QUERY_LENGTH * 2, required=False, widget=forms.HiddenInput)
    columns = forms.CharField(max_length=QUERY_LENGTH, required=False, widget=forms.HiddenInput)
    share = forms.BooleanField(required=False, label="Share with my team")
    make_default = forms.BooleanField(required=False, label="Open the list with this view")


class RenameForm(forms.Form):
    name = forms.CharField(max_length=NAME_LENGTH, label="New name")


class QuickSelect(forms.Select):
    """A select drawn in Python rather than through a template per option: a list's filters
    offer a hundred options or more (every person in reach), on every page of the list."""

    def render(
        self,
        name: str,
        value: object,
        attrs: dict[str, object] | None = None,
        renderer: object = None,
    ) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        options = [
            format_html(
                '<option value="{}"{}>{}</option>',
                option_value,
                mark_safe(" selected") if str(option_value) in chosen else "",
                label,
            )
            for option_value, label in self.choices
        ]
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe("".join(options)))
