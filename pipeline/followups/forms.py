from __future__ import annotations

from datetime import date

from django import forms

from pipeline.deals.models import Opportunity
from prospects.models import Account, Channel, ConversationKind
from salesflow.core.fields import DATE_RANGE_MESSAGE, DateInput, IdChoiceField, in_date_range


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
    not_before = forms.DateField(
        required=False,
        widget=DateInput(),
        label="Not before",
        help_text="Optional: it waits at least until that day's business morning; the "
        "patience rules may hold it longer.",
    )

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = Opportunity.objects.filter(
            account=account, closed_at__isnull=True
        )

    def clean_not_before(self) -> date | None:
        # The service checks the day against the owner's today; this refuses a typo's year.
        day = self.cleaned_data.get("not_before")
        if day is not None and not in_date_range(day):
            raise forms.ValidationError(DATE_RANGE_MESSAGE)
        return day


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class FollowUpReviseForm(forms.Form):
    purpose = forms.CharField(max_length=300)
    draft = forms.CharField(required=False, max_length=10_000, strip=False)


class FollowUpApprovalForm(forms.Form):
    """The manager's decision on a draft waiting for approval: approve, or send it back."""

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
