"""The bulk edit's forms: one per action for its parameters (checked once, before any deal
is touched), and the selection (ticked ids, or every deal matching the table's filters)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from pipeline.bulkedit.models import BulkEdit
from pipeline.deals.models import CloseReason, Stage
from prospects import access as prospect_access
from salesflow.core.fields import DATE_RANGE_MESSAGE, DateInput, IdChoiceField, in_date_range
from salesflow.core.models import User


class ActionForm(forms.Form):
    """An action's parameters. `params()` gives them as JSON for the job row; the run reads
    them back with `load()`."""

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def params(self) -> dict[str, Any]:
        raise NotImplementedError


class OwnerForm(ActionForm):
    owner = IdChoiceField(queryset=User.objects.none(), label="New owner")

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["owner"].queryset = prospect_access.assignable_owners(actor).order_by(
            "first_name", "last_name", "pk"
        )
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or str(user)

    def params(self) -> dict[str, Any]:
        return {"owner": self.cleaned_data["owner"].pk}


class MoveForm(ActionForm):
    # Open stages only: closing asks for a reason, which "Close as lost" does per pipeline.
    stage = IdChoiceField(
        queryset=Stage.objects.filter(outcome=Stage.Outcome.OPEN).select_related("pipeline"),
        label="Move to",
    )
    note = forms.CharField(required=False, max_length=2000, label="Note on each move")

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["stage"].label_from_instance = str  # "Standard: Qualified"

    def params(self) -> dict[str, Any]:
        return {"stage": self.cleaned_data["stage"].pk, "note": self.cleaned_data["note"]}


class CloseDateForm(ActionForm):
    expected_close_date = forms.DateField(widget=DateInput(), label="Expected close")

    def clean_expected_close_date(self) -> date:
        when = self.cleaned_data["expected_close_date"]
        if not in_date_range(when):
            raise forms.ValidationError(DATE_RANGE_MESSAGE)
        return when

    def params(self) -> dict[str, Any]:
        return {"expected_close_date": self.cleaned_data["expected_close_date"].isoformat()}


class CloseLostForm(ActionForm):
    reason = IdChoiceField(
        queryset=CloseReason.objects.filter(active=True).exclude(kind=CloseReason.Kind.WON),
        label="Reason lost",
    )
    note = forms.CharField(required=False, max_length=2000, label="Note on each move")

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["reason"].label_from_instance = str  # "Lost: price"

    def params(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"].pk, "note": self.cleaned_data["note"]}


ACTION_FORMS: dict[str, type[ActionForm]] = {
    BulkEdit.Action.OWNER: OwnerForm,
    BulkEdit.Action.MOVE: MoveForm,
    BulkEdit.Action.CLOSE_DATE: CloseDateForm,
    BulkEdit.Action.CLOSE_LOST: CloseLostForm,
}


class SelectionForm(forms.Form):
    """What to change and for which deals: the ticked ids, or all that match the table's
    query string. The ids themselves are checked by the service."""

    action = forms.ChoiceField(choices=[("", "Choose…"), *BulkEdit.Action.choices], label="Change")
    all_matching = forms.BooleanField(required=False, label="All deals that match the filters")
    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
