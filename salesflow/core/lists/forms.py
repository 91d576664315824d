from __future__ import annotations

from django import forms

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


class ColumnsForm(forms.Form):
    """The columns to show, from the list's own; the address to go back to."""

    columns = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    query = forms.CharField(max_length=QUERY_LENGTH * 2, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = choices
