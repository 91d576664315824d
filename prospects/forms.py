from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from prospects import access, importing, selectors
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
from prospects.services import ACCOUNT_FIELDS, CONTACT_FIELDS
from salesflow.core.fields import IdChoiceField, IdMultipleChoiceField
from salesflow.core.models import User

EARLIEST = date(2000, 1, 1)


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
        if "occurred_at" not in self.changed_data:
            # Left as shown: the conversation is being logged as it ends. The field shows
            # minutes only (and may have been on screen for hours), so the moment of logging
            # is kept instead, to the second: it then sorts after anything done before it,
            # such as creating the account a few seconds earlier.
            return timezone.now()
        if when.date() < EARLIEST:
            raise forms.ValidationError("That is too long ago; check the year.")
        # Later than now: refused by the model field's own validator (one rule, every door).
        return when

    def clean(self) -> dict[str, object]:
        data = super().clean()
        kind = data.get("kind")
        strays = [q for q in data.get("questions_asked", []) if q.kind != kind]
        if kind and strays:
            self.add_error("questions_asked", "Tick only questions for this kind of conversation.")
        return data


class WhyForm(forms.Form):
    text = forms.CharField(
        label="Their why, in their words",
        widget=forms.Textarea(attrs={"rows": 3, "data-autofocus": ""}),
        max_length=2_000,
        help_text="Why did they start looking for a solution in the first place?",
        error_messages={"required": "Write what the prospect said."},
    )
    said_by = IdChoiceField(queryset=Contact.objects.none(), required=False, label="Who said it")
    said_on = forms.DateField(
        label="When", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["said_by"].queryset = selectors.account_contacts(account=account)
        self.fields["said_on"].initial = timezone.localdate()

    def clean_said_on(self) -> date:
        said_on: date = self.cleaned_data["said_on"]
        if said_on < EARLIEST or said_on > timezone.localdate():
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


class AccountImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, one row per contact. Columns: " + ", ".join(importing.COLUMNS) + ".",
    )

    def clean_file(self) -> tuple[str, str]:
        """The file's name and text, or a message saying why it cannot be read."""
        upload = self.cleaned_data["file"]
        if upload.size > settings.SALESFLOW_IMPORT_MAX_BYTES:
            megabytes = settings.SALESFLOW_IMPORT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"The file is larger than {megabytes} MB; split it.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("Save the file as UTF-8 CSV and upload it again.") from None
        if "\x00" in text:
            raise forms.ValidationError("This looks like a binary file, not a CSV.")
        try:
            importing.read_rows(text)
        except importing.ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload.name, text


class AccountMergeForm(forms.Form):
    """For each field where the two accounts differ, which value the merged account keeps;
    for each pair of contacts that look like the same person, whether to make them one, and
    which of their values the one keeps."""

    def __init__(
        self,
        *args: object,
        survivor: Account,
        duplicate: Account,
        pairs: Sequence[selectors.ContactPair] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.survivor, self.duplicate = survivor, duplicate
        self.differences: list[str] = []
        for name in ACCOUNT_FIELDS:
            ours, theirs = getattr(survivor, name), getattr(duplicate, name)
            if ours == theirs:
                continue
            self.differences.append(name)
            self.fields[name] = forms.ChoiceField(
                label=Account._meta.get_field(name).verbose_name.capitalize(),
                choices=[
                    ("survivor", _shown(survivor, name)),
                    ("duplicate", _shown(duplicate, name)),
                ],
                initial="survivor",
                widget=forms.RadioSelect,
            )
        self.pairs = [_PairFields(self, pair) for pair in pairs]

    def account_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.differences]

    def values(self) -> dict[str, object]:
        """The chosen values, ready for services.account_merge."""
        return {
            name: getattr(
                self.duplicate if self.cleaned_data[name] == "duplicate" else self.survivor, name
            )
            for name in self.differences
        }

    def contact_values(self) -> dict[int, dict[str, object]]:
        """The contacts to merge, by the duplicate's contact's id, each with the values the
        merged contact keeps: ready for services.account_merge."""
        return {
            pair.drop.pk: pair.chosen(self.cleaned_data)
            for pair in self.pairs
            if self.cleaned_data[pair.action] == "merge"
        }


class _PairFields:
    """The fields of one contact pair in the merge form, and what the page shows of it."""

    def __init__(self, form: AccountMergeForm, pair: selectors.ContactPair) -> None:
        self.keep, self.drop, self.reason = pair.keep, pair.drop, pair.reason
        prefix = f"contact-{pair.drop.pk}"
        self.action = prefix
        form.fields[prefix] = forms.ChoiceField(
            label="The same person?",
            choices=[("merge", "Yes: make them one contact"), ("keep", "No: keep both")],
            initial="merge",
            widget=forms.RadioSelect,
        )
        self.differences: list[tuple[str, str]] = []
        for name in CONTACT_FIELDS:
            ours, theirs = getattr(pair.keep, name), getattr(pair.drop, name)
            if ours == theirs:
                continue
            field = f"{prefix}-{name}"
            self.differences.append((name, field))
            # Where only one of them knows the value, keep the one that does.
            unknown = ("", Contact.BuyingRole.UNKNOWN)
            form.fields[field] = forms.ChoiceField(
                label=Contact._meta.get_field(name).verbose_name.capitalize(),
                choices=[
                    ("survivor", _shown(pair.keep, name)),
                    ("duplicate", _shown(pair.drop, name)),
                ],
                initial="duplicate" if ours in unknown and theirs not in unknown else "survivor",
                widget=forms.RadioSelect,
                # Not needed to keep both; unanswered, the choice offered first stands.
                required=False,
            )
        self.form = form

    def chosen(self, data: dict[str, object]) -> dict[str, object]:
        return {
            name: getattr(self.drop if self._side(data, field) == "duplicate" else self.keep, name)
            for name, field in self.differences
        }

    def _side(self, data: dict[str, object], field: str) -> object:
        return data.get(field) or self.form.fields[field].initial

    def __iter__(self) -> Iterator[forms.BoundField]:
        yield from (self.form[field] for _, field in self.differences)

    @property
    def choice(self) -> forms.BoundField:
        return self.form[self.action]


def _shown(instance: Account | Contact, name: str) -> str:
    display = getattr(instance, f"get_{name}_display", None)
    value = display() if display else getattr(instance, name)
    return str(value) if value not in (None, "") else "(empty)"
