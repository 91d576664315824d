from __future__ import annotations

import uuid
from datetime import date, datetime

from django import forms
from django.http import QueryDict
from django.utils import timezone

from prospects import access, selectors
from prospects.models import (
    Account,
    Answer,
    Channel,
    Contact,
    Conversation,
    ConversationKind,
    FacilitativeQuestion,
    LeadSource,
    Segment,
)
from prospects.services import ACCOUNT_FIELDS
from salesflow.core.fields import (
    EARLIEST_DATE,
    DateInput,
    IdChoiceField,
    IdMultipleChoiceField,
    whole_number,
)
from salesflow.core.models import User


class AccountForm(forms.ModelForm):
    website = forms.URLField(max_length=300, required=False, assume_scheme="https")
    disqualified_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="Needed when the status is disqualified.",
    )

    class Meta:
        model = Account
        fields = list(ACCOUNT_FIELDS)
        field_classes = {
            "owner": IdChoiceField,
            "segment": IdChoiceField,
            "lead_source": IdChoiceField,
        }

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = access.assignable_owners(user)
        self.fields["lead_source"].queryset = LeadSource.objects.filter(active=True)
        if not self.instance.pk:
            self.fields["owner"].initial = user.pk

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if (
            data.get("status") == Account.Status.DISQUALIFIED
            and not data.get("disqualified_reason", "").strip()
        ):
            self.add_error("disqualified_reason", "Say why the account is disqualified.")
        return data


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "buying_role"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class ConversationForm(forms.ModelForm):
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10_000
    )
    emotion_found = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2_000,
        label="Emotion found",
        help_text="What does the prospect feel about the problem, in a phrase?",
    )
    # Made afresh for each form shown; services.conversation_log saves a submission once.
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # Set when the form was opened with a time already filled in (conversation_initial): that
    # "When" is kept even if the rep leaves it as shown.
    when_given = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Conversation
        fields = [
            "occurred_at",
            "channel",
            "kind",
            "contacts",
            "questions_asked",
            "notes",
            "emotion_found",
            "has_problem",
            "accepts_significance",
            "ready_to_act",
        ]
        labels = {
            "occurred_at": "When",
            "has_problem": "Has a problem?",
            "accepts_significance": "Accepts it is significant?",
            "ready_to_act": "Is ready to act?",
            "questions_asked": "Questions you asked",
        }
        help_texts = {"occurred_at": "Leave it as it is for a conversation just now."}
        field_classes = {
            "contacts": IdMultipleChoiceField,
            "questions_asked": IdMultipleChoiceField,
        }
        widgets = {
            "occurred_at": DateTimeLocalInput(),
            "contacts": forms.CheckboxSelectMultiple,
            "questions_asked": forms.CheckboxSelectMultiple,
            "has_problem": forms.RadioSelect,
            "accepts_significance": forms.RadioSelect,
            "ready_to_act": forms.RadioSelect,
        }

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = selectors.account_contacts(account=account)
        self.fields["questions_asked"].queryset = FacilitativeQuestion.objects.filter(active=True)
        self.fields["questions_asked"].required = False
        self.fields["contacts"].required = False
        # The time the form was shown travels with it, so clean_occurred_at can tell a "When"
        # left as it was (logged just now) from one the rep typed.
        self.fields["occurred_at"].show_hidden_initial = True
        if not self.is_bound:
            # A new instance puts blank values in self.initial, so defaults are assigned.
            defaults = {
                "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
                # Most conversations continue where the last one left off.
                "kind": selectors.latest_conversation_kind(account=account),
                "channel": Channel.CALL,
                "submission_key": uuid.uuid4(),
                **dict.fromkeys(
                    ("has_problem", "accepts_significance", "ready_to_act"), Answer.UNKNOWN
                ),
            }
            for field, value in defaults.items():
                if not self.initial.get(field):
                    self.initial[field] = value
        kind = str(self.data.get("kind") or self.initial.get("kind") or "")
        if kind not in ConversationKind.values:
            kind = ConversationKind.INITIAL_OUTREACH
        self.kind_questions = list(selectors.questions_for_kind(kind=kind))

    def clean_occurred_at(self) -> datetime:
        when: datetime = self.cleaned_data["occurred_at"]
        when_given = self.fields["when_given"].to_python(self["when_given"].data)
        if "occurred_at" not in self.changed_data and not when_given:
            # Left as shown: the conversation is being logged as it ends. The field shows
            # minutes only (and may have been on screen for hours), so the moment of logging
            # is kept instead, to the second: it then sorts after anything done before it,
            # such as creating the account a few seconds earlier.
            return timezone.now()
        if when.date() < EARLIEST_DATE:
            raise forms.ValidationError("That is too long ago; check the year.")
        # Later than now: refused by the model field's own validator (one rule, every door).
        return when

    def clean(self) -> dict[str, object]:
        data = super().clean()
        # Only clean_occurred_at reads it; the service takes what the conversation holds.
        data.pop("when_given", None)
        kind = data.get("kind")
        strays = [q for q in data.get("questions_asked", []) if q.kind != kind]
        if kind and strays:
            self.add_error("questions_asked", "Tick only questions for this kind of conversation.")
        return data


def conversation_initial(query: QueryDict) -> dict[str, object]:
    """What a link may fill in on the logging form (?kind=, ?channel=, ?contacts= repeated,
    ?occurred_at= as YYYY-MM-DDTHH:MM in the user's zone), so a page elsewhere (an
    appointment that has just happened) opens it ready. Anything unreadable, or a time still
    to come, is left out: the form then shows its usual defaults. Contacts not on the account
    are never ticked, since the form offers only the account's."""
    initial: dict[str, object] = {}
    if query.get("kind") in ConversationKind.values:
        initial["kind"] = query["kind"]
    if query.get("channel") in Channel.values:
        initial["channel"] = query["channel"]
    contacts = [whole_number(value) for value in query.getlist("contacts")[:50]]
    if picked := [pk for pk in contacts if pk is not None]:
        initial["contacts"] = picked
    try:
        when = datetime.strptime(str(query.get("occurred_at", "")), "%Y-%m-%dT%H:%M")
    except ValueError:
        return initial
    if when.date() >= EARLIEST_DATE:
        aware = timezone.make_aware(when)
        if aware <= timezone.now():
            initial["occurred_at"] = aware
            initial["when_given"] = True
    return initial


class WhyForm(forms.Form):
    text = forms.CharField(
        label="Their why, in their words",
        widget=forms.Textarea(attrs={"rows": 3, "data-autofocus": ""}),
        max_length=2_000,
        help_text="Why did they start looking for a solution in the first place?",
        error_messages={"required": "Write what the prospect said."},
    )
    said_by = IdChoiceField(queryset=Contact.objects.none(), required=False, label="Who said it")
    said_on = forms.DateField(label="When", widget=DateInput())

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["said_by"].queryset = selectors.account_contacts(account=account)
        self.fields["said_on"].initial = timezone.localdate()

    def clean_said_on(self) -> date:
        said_on: date = self.cleaned_data["said_on"]
        if said_on < EARLIEST_DATE or said_on > timezone.localdate():
            raise forms.ValidationError("Pick a date between 2000 and today.")
        return said_on


class AccountFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Name")
    owner = IdChoiceField(queryset=User.objects.none(), required=False)
    segment = IdChoiceField(queryset=Segment.objects.all(), required=False)
    lead_source = IdChoiceField(queryset=LeadSource.objects.all(), required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Account.Status.choices], required=False
    )
    has_problem = forms.ChoiceField(
        choices=[("", "Any"), *Answer.choices], required=False, label="Has a problem"
    )
    accepts_significance = forms.ChoiceField(
        choices=[("", "Any"), *Answer.choices], required=False, label="Accepts significance"
    )
    ready_to_act = forms.ChoiceField(
        choices=[("", "Any"), *Answer.choices], required=False, label="Ready to act"
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.visible_owners(user)

    def filters(self) -> selectors.AccountFilters:
        """The valid filters; an invalid one is dropped and shown as an error, never a failure."""
        self.is_valid()  # fills cleaned_data with the fields that are valid
        data = self.cleaned_data
        return selectors.AccountFilters(
            q=data.get("q") or "",
            owner=data["owner"].pk if data.get("owner") else None,
            segment=data["segment"].pk if data.get("segment") else None,
            lead_source=data["lead_source"].pk if data.get("lead_source") else None,
            status=data.get("status") or None,
            has_problem=data.get("has_problem") or None,
            accepts_significance=data.get("accepts_significance") or None,
            ready_to_act=data.get("ready_to_act") or None,
        )
