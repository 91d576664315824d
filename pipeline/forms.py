from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone

from pipeline import selectors
from pipeline.dashboard import DashboardFilters
from pipeline.models import CloseReason, Opportunity, Pipeline, Sequence, SoeStep, Stage
from pipeline.services import OPPORTUNITY_FIELDS
from prospects import selectors as prospect_selectors
from prospects.models import Account, Channel, ConversationKind, LeadSource, Segment
from salesflow.core.fields import IdChoiceField
from salesflow.core.models import Team, User

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


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
        self.fields["owner"].queryset = prospect_selectors.assignable_owners(user)
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
        if when is not None and not EARLIEST <= when <= LATEST:
            raise forms.ValidationError("Pick a date between 2000 and 2100.")
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


class SpecialistOverrideForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Why is this deal qualified enough?",
    )


def _limit_people(form: forms.Form, user: User) -> None:
    """A filter names only people and teams the user can see."""
    form.fields["owner"].queryset = prospect_selectors.visible_owners(user)
    teams = Team.objects.all()
    if not user.sees_everything:
        teams = teams.filter(pk=user.team_id)
    form.fields["team"].queryset = teams


class BoardFilterForm(forms.Form):
    owner = IdChoiceField(queryset=User.objects.none(), required=False)
    team = IdChoiceField(queryset=Team.objects.none(), required=False)
    segment = IdChoiceField(queryset=Segment.objects.all(), required=False)
    lead_source = IdChoiceField(queryset=LeadSource.objects.all(), required=False)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _limit_people(self, user)
        for field in self.fields.values():
            field.empty_label = "Any"
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> selectors.BoardFilters:
        """The valid filters; an invalid one is dropped and shown as an error."""
        self.is_valid()
        data = self.cleaned_data
        return selectors.BoardFilters(
            **{
                name: data[name].pk if data.get(name) else None
                for name in ("owner", "team", "segment", "lead_source")
            }
        )


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
        contacts = selectors.soe_contacts(opportunity=opportunity)
        self.fields["responsible_contact"].queryset = contacts
        self.fields["proposed_by"].queryset = contacts
        self.fields["responsible_user"].queryset = prospect_selectors.visible_owners(user)
        conversations = selectors.soe_conversations(
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
            if value is not None and not EARLIEST <= value <= LATEST:
                self.add_error(field, "Pick a date between 2000 and 2100.")
        return data

    def values(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SkipForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why is it skipped?")


class ReceptionForm(forms.Form):
    reception = forms.ChoiceField(
        choices=Sequence.Reception.choices, label="How did they receive it?"
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


class FollowUpForm(forms.Form):
    purpose = forms.CharField(
        max_length=300,
        label="What will this accomplish?",
        help_text="Required: a follow-up without a purpose is just pressure.",
    )
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    draft = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10_000,
        label="Draft",
        help_text="The email, or your talking points.",
    )
    opportunity = IdChoiceField(queryset=Opportunity.objects.none(), required=False, label="Deal")

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = Opportunity.objects.filter(
            account=account, closed_at__isnull=True
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class FollowUpReviseForm(forms.Form):
    purpose = forms.CharField(max_length=300)
    draft = forms.CharField(required=False, max_length=10_000, strip=False)


class FollowUpReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("send_back", "Send back")])
    comment = forms.CharField(required=False, max_length=500)
    draft = forms.CharField(required=False, max_length=10_000, strip=False)


class FollowUpDoneForm(forms.Form):
    """Done, and — if the rep says how it went — the conversation logged in the same step."""

    kind = forms.ChoiceField(
        choices=[("", "Don't log a conversation"), *ConversationKind.choices],
        required=False,
        label="Log the conversation it led to",
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=10_000
    )


class DashboardFilterForm(forms.Form):
    team = IdChoiceField(queryset=Team.objects.none(), required=False)
    owner = IdChoiceField(queryset=User.objects.none(), required=False, label="Rep")
    pipeline = IdChoiceField(queryset=Pipeline.objects.all(), required=False)
    segment = IdChoiceField(queryset=Segment.objects.all(), required=False)
    lead_source = IdChoiceField(queryset=LeadSource.objects.all(), required=False)
    start = forms.DateField(required=False, widget=DateInput(), label="From")
    end = forms.DateField(required=False, widget=DateInput(), label="Until")

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _limit_people(self, user)
        if user.role == User.Role.REP and not user.sees_everything:
            del self.fields["team"], self.fields["owner"]  # a rep's dashboard is their own
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm"
                if name
                in {
                    "start",
                    "end",
                }
                else "form-select form-select-sm"
            )
            if hasattr(field, "empty_label"):
                field.empty_label = "Any"

    def clean(self) -> dict[str, object]:
        data = super().clean()
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not EARLIEST <= value <= LATEST:
                self.add_error(name, "Pick a date between 2000 and 2100.")
                data[name] = None
        if data.get("start") and not data.get("end") and data["start"] > timezone.localdate():
            self.add_error("start", "Pick a day up to today, or an Until date as well.")
            data["start"] = None
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "Pick a day after the start.")
            data["end"] = None
        return data

    def filters(self) -> DashboardFilters:
        """The valid filters; an invalid one is dropped and shown as an error."""
        self.is_valid()
        data = self.cleaned_data
        ids = {
            name: data[name].pk if data.get(name) else None
            for name in ("team", "owner", "pipeline", "segment", "lead_source")
        }
        return DashboardFilters(**ids, start=data.get("start"), end=data.get("end"))
