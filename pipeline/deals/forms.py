from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms

from pipeline.deals import selectors as deal_selectors
from pipeline.deals.models import CloseReason, Opportunity, Pipeline, Stage
from pipeline.deals.services import OPPORTUNITY_FIELDS
from prospects import access as prospect_access
from prospects import selectors as prospect_selectors
from prospects.models import Account, Contact, LeadSource, Segment
from salesflow.core.access import reach_of
from salesflow.core.fields import DATE_RANGE_MESSAGE, DateInput, IdChoiceField, in_date_range
from salesflow.core.models import Team, User


class OpportunityForm(forms.ModelForm):
    value = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), initial=Decimal(0)
    )
    pipeline = IdChoiceField(
        queryset=Pipeline.objects.all(),
        required=False,
        help_text="Empty: the account's segment pipeline, or the default one.",
    )

    class Meta:
        model = Opportunity
        fields = [*OPPORTUNITY_FIELDS, "pipeline"]
        field_classes = {"owner": IdChoiceField, "lead_source": IdChoiceField}
        widgets = {"expected_close_date": DateInput()}
        help_texts = {
            "lead_source": "Empty: the account's lead source.",
            "next_step": "The next thing that will happen, as agreed with the prospect.",
        }

    def __init__(self, *args: object, user: User, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = prospect_access.assignable_owners(user)
        self.fields["lead_source"].queryset = LeadSource.objects.filter(active=True)
        if self.instance.pk:
            # A deal keeps its pipeline: its history points at that pipeline's stages.
            del self.fields["pipeline"]
        else:
            owners = self.fields["owner"].queryset
            # The account's owner usually runs its deals; a rep may only pick themselves.
            mine = owners.filter(pk=account.owner_id).exists()
            self.fields["owner"].initial = account.owner_id if mine else user.pk
            self.fields["name"].initial = account.name
            self.fields["lead_source"].initial = account.lead_source_id

    def clean_expected_close_date(self) -> date | None:
        when = self.cleaned_data.get("expected_close_date")
        if when is not None and not in_date_range(when):
            raise forms.ValidationError(DATE_RANGE_MESSAGE)
        return when


class MoveForm(forms.Form):
    """A stage move: from the board (stage and the stage the card showed) or the deal page."""

    stage = IdChoiceField(queryset=Stage.objects.none(), label="Move to")
    from_stage = IdChoiceField(queryset=Stage.objects.none(), widget=forms.HiddenInput)
    reason = IdChoiceField(
        queryset=CloseReason.objects.filter(active=True),
        required=False,
        help_text="Asked when the deal is won, lost or disqualified.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    def __init__(self, *args: object, opportunity: Opportunity, **kwargs: object) -> None:
        kwargs.setdefault(
            "initial", {"from_stage": opportunity.stage_id, "stage": opportunity.stage_id}
        )
        super().__init__(*args, **kwargs)
        # Any stage of any pipeline parses, so a stage of another pipeline gets the
        # service's own explanation instead of a bare "invalid choice".
        self.fields["stage"].queryset = Stage.objects.all()
        self.fields["from_stage"].queryset = Stage.objects.all()
        stages = opportunity.pipeline.stages.order_by("position", "pk")
        self.fields["stage"].choices = [(stage.pk, stage.name) for stage in stages]
        self.fields["reason"].label_from_instance = str
        self.fields["reason"].empty_label = "No reason: the deal stays open"

    def error_text(self) -> str:
        """Every error in one sentence, each named by its field, for the board's message."""
        parts = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            parts.extend(f"{label or 'Stage'}: {error}" for error in errors)
        return "Not moved. " + " ".join(parts)


class DealContactForm(forms.Form):
    """Someone of the account joins the deal's buying committee."""

    contact = IdChoiceField(queryset=Contact.objects.none(), label="Person")
    role = forms.ChoiceField(
        choices=[("", "Their usual buying role"), *Contact.BuyingRole.choices],
        required=False,
        label="Role on this deal",
    )

    def __init__(self, *args: object, candidates: list[Contact], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Any contact id parses, so another account's person gets the service's own
        # explanation rather than a bare "invalid choice"; the list offers the account's
        # contacts not on the committee yet (deal_selectors.buying_committee).
        self.fields["contact"].queryset = Contact.objects.all()
        self.fields["contact"].choices = [
            ("", "Pick a contact"),
            *((c.pk, f"{c.name} — {c.title}" if c.title else c.name) for c in candidates),
        ]


class SpecialistOverrideForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Why is this deal qualified enough?",
    )


def limit_people(form: forms.Form, user: User) -> None:
    """A filter names only people and teams the user can see."""
    form.fields["owner"].queryset = prospect_selectors.visible_owners(user)
    form.fields["team"].queryset = reach_of(user).teams()


class BoardFilterForm(forms.Form):
    owner = IdChoiceField(queryset=User.objects.none(), required=False)
    team = IdChoiceField(queryset=Team.objects.none(), required=False)
    segment = IdChoiceField(queryset=Segment.objects.all(), required=False)
    lead_source = IdChoiceField(queryset=LeadSource.objects.all(), required=False)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        limit_people(self, user)
        for field in self.fields.values():
            field.empty_label = "Any"
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> deal_selectors.BoardFilters:
        """The valid filters; an invalid one is dropped and shown as an error."""
        self.is_valid()
        data = self.cleaned_data
        return deal_selectors.BoardFilters(
            **{
                name: data[name].pk if data.get(name) else None
                for name in ("owner", "team", "segment", "lead_source")
            }
        )
