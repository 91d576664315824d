"""The deals table's bulk bar asks for its forms here: the bar is included by the table's
template, whose view knows nothing of bulk edits."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import ModelChoiceField

from pipeline.bulkedit.forms import ACTION_FORMS, SelectionForm

register = template.Library()


@register.simple_tag(takes_context=True)
def bulk_edit_forms(context: dict[str, Any]) -> dict[str, Any]:
    """The selection form and each action's form, for the signed-in user, with ids of their
    own ("bulk-owner"…) so they never clash with the table's filters."""
    user = context["request"].user
    forms = {"selection": SelectionForm(auto_id="bulk-%s")}
    for action, form_class in ACTION_FORMS.items():
        form = form_class(actor=user, auto_id=f"bulk-{action}-%s")
        for field in form.fields.values():
            if isinstance(field, ModelChoiceField):
                # Read once (iter: list() of the iterator itself would count the rows first, as the
                # template's loop would).
                field.choices = list(iter(field.choices))
        forms[action] = form
    return forms
