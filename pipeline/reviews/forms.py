"""Forms for reviews: each parses and limits what it offers; the services decide."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from pipeline.deals.models import Opportunity, Pipeline, Stage
from pipeline.followups.models import PatienceRule
from pipeline.reviews.models import Group, Item, Review
from pipeline.reviews.services import ACTION_HORIZON_DAYS, is_quarter_start
from pipeline.soe.models import SoeTemplate
from prospects.models import FacilitativeQuestion
from salesflow.core.fields import DateInput, IdChoiceField, IdMultipleChoiceField
from salesflow.core.models import User


class ReviewForm(forms.Form):
    title = forms.CharField(max_length=200)
    scope = forms.ChoiceField(choices=Review.Scope.choices, initial=Review.Scope.PROCESS)
    pipeline = IdChoiceField(queryset=Pipeline.objects.all(), required=False)
    quarter_start = forms.DateField(
        required=False, widget=DateInput(), label="Quarter (its first day)"
    )
    opportunity = IdChoiceField(
        queryset=Opportunity.objects.none(), required=False, label="Won or lost deal"
    )
    anonymous = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Nobody sees who wrote what. salesflow keeps the author only so people can "
        "edit their own items while writing.",
    )
    votes_each = forms.IntegerField(min_value=1, max_value=20, initial=3, label="Votes each")
    participants = IdMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("first_name", "username"),
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_quarter_start(self) -> date | None:
        day = self.cleaned_data.get("quarter_start")
        if day is not None and not is_quarter_start(day):
            raise forms.ValidationError(
                "Give the quarter's first day: 1 January, 1 April, 1 July or 1 October."
            )
        return day

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # A deal review looks back at a deal closed in the last year.
        since = timezone.now() - timedelta(days=365)
        self.fields["opportunity"].queryset = Opportunity.objects.filter(
            closed_at__gte=since
        ).order_by("-closed_at")
        self.fields["participants"].label_from_instance = lambda user: (
            user.get_full_name() or user.username
        )


class ItemForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(Item.Kind.PLUS, "Plus"), (Item.Kind.DELTA, "Delta")],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    text = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


class GroupForm(forms.Form):
    items = IdMultipleChoiceField(
        queryset=Item.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input me-2"}),
    )
    title = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "list": "earlier-titles"}),
    )

    def __init__(self, *args: object, review: Review, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = (
            review.items.filter(revealed_at__isnull=False)
            .exclude(kind=Item.Kind.FACT)
            .select_related("group")
        )
        self.fields["items"].label_from_instance = lambda item: (
            f"{item.get_kind_display()}: {item.text}"
            + (f" (in “{item.group.title}”)" if item.group_id else "")
        )


class ActionForm(forms.Form):
    text = forms.CharField(max_length=300, label="Action")
    owner = IdChoiceField(queryset=User.objects.filter(is_active=True))
    due_on = forms.DateField(widget=DateInput(), label="Due")
    source_item = IdChoiceField(queryset=Item.objects.none(), required=False, label="From delta")
    source_group = IdChoiceField(queryset=Group.objects.none(), required=False, label="From group")
    stage = IdChoiceField(queryset=Stage.objects.select_related("pipeline"), required=False)
    patience_rule = IdChoiceField(queryset=PatienceRule.objects.all(), required=False)
    question = IdChoiceField(queryset=FacilitativeQuestion.objects.all(), required=False)
    soe_template = IdChoiceField(
        queryset=SoeTemplate.objects.all(), required=False, label="SOE template"
    )

    def __init__(self, *args: object, review: Review, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_item"].queryset = review.items.filter(
            kind=Item.Kind.DELTA, revealed_at__isnull=False
        )
        self.fields["source_group"].queryset = review.groups.all()
        # The people in the room: an action's owner must be able to open the review.
        owner = self.fields["owner"]
        owner.queryset = User.objects.filter(
            is_active=True, pk__in=review.participants.values("user")
        ).order_by("first_name", "username")
        owner.label_from_instance = lambda user: user.get_full_name() or user.username
        today = timezone.localdate()
        self.fields["due_on"].widget.attrs.update(
            min=today.isoformat(), max=(today + timedelta(days=ACTION_HORIZON_DAYS)).isoformat()
        )
        self.fields["source_item"].label_from_instance = lambda item: item.text[:80]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-control" if name in {"text", "due_on"} else "form-select"
            )
