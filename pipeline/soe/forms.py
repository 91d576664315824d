from __future__ import annotations

from django import forms

from pipeline.deals.models import Opportunity
from pipeline.soe import selectors as soe_selectors
from pipeline.soe.models import Sequence as SoeSequence
from pipeline.soe.models import SoeStep
from prospects import selectors as prospect_selectors
from salesflow.core.fields import DATE_RANGE_MESSAGE, DateInput, IdChoiceField, in_date_range
from salesflow.core.models import User


class SoeStepForm(forms.ModelForm):
    """A step in the prospect's words, with where it came from and who carries it."""

    position = forms.IntegerField(
        required=False, min_value=1, max_value=1000, widget=forms.HiddenInput
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    class Meta:
        model = SoeStep
        fields = [
            "text",
            "kind",
            "owner_side",
            "responsible_contact",
            "responsible_user",
            "target_date",
            "proposed_by",
            "proposed_on",
            "source_conversation",
            "notes",
        ]
        labels = {
            "text": "The step, in their words",
            "kind": "Kind of step",
            "owner_side": "Whose step",
            "responsible_contact": "Their person responsible",
            "responsible_user": "Our person responsible",
            "proposed_by": "Proposed by",
            "proposed_on": "Proposed on",
            "source_conversation": "From the conversation",
        }
        field_classes = {
            "kind": IdChoiceField,
            "responsible_contact": IdChoiceField,
            "responsible_user": IdChoiceField,
            "proposed_by": IdChoiceField,
            "source_conversation": IdChoiceField,
        }
        widgets = {
            "target_date": DateInput(),
            "proposed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(
        self, *args: object, opportunity: Opportunity, user: User, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        contacts = soe_selectors.soe_contacts(opportunity=opportunity)
        self.fields["responsible_contact"].queryset = contacts
        self.fields["proposed_by"].queryset = contacts
        self.fields["responsible_user"].queryset = prospect_selectors.visible_owners(user)
        conversations = soe_selectors.soe_conversations(
            opportunity=opportunity, keep=self.instance.source_conversation_id
        )
        self.fields["source_conversation"].queryset = conversations
        self.fields["source_conversation"].label_from_instance = lambda conversation: (
            f"{conversation.occurred_at:%d %b %Y} · {conversation.get_kind_display()}"
        )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        for field in ("target_date", "proposed_on"):
            value = data.get(field)
            if value is not None and not in_date_range(value):
                self.add_error(field, DATE_RANGE_MESSAGE)
        return data

    def values(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SkipForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why is it skipped?")


class ReceptionForm(forms.Form):
    reception = forms.ChoiceField(
        choices=SoeSequence.Reception.choices, label="How did they receive it?"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label="What they said about it",
    )


class ReorderForm(forms.Form):
    """The SOE's step ids in their new order (the service checks they are all this SOE's)."""

    step = forms.TypedMultipleChoiceField(coerce=int, choices=[])

    def __init__(self, *args: object, step_ids: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [(str(pk), str(pk)) for pk in step_ids]
