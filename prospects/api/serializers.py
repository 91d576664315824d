"""What the API shows of accounts, contacts, conversations and why notes: what their pages
show."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from prospects.api.filters import MAX_ID, UpdatedSinceField
from prospects.models import (
    Account,
    Answer,
    Channel,
    Contact,
    Conversation,
    ConversationKind,
    LeadSource,
    Segment,
    WhyNote,
)
from salesflow.core.fields import EARLIEST_DATE
from salesflow.core.models import User


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "team"]
        read_only_fields = fields


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name"]
        read_only_fields = fields


class LeadSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadSource
        fields = ["id", "name"]
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    owner = PersonSerializer(read_only=True)
    segment = SegmentSerializer(read_only=True, allow_null=True)
    lead_source = LeadSourceSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "website",
            "status",
            "disqualified_reason",
            "owner",
            "segment",
            "lead_source",
            "has_problem",
            "accepts_significance",
            "ready_to_act",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    erased = serializers.SerializerMethodField(
        help_text="True once the person's data was erased: the contact stays as a "
        "placeholder named “Erased contact”, with nothing else about them."
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "name",
            "title",
            "email",
            "phone",
            "buying_role",
            "erased",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField)
    def get_erased(self, contact: Contact) -> bool:
        return contact.erased_at is not None


class AccountWriteSerializer(serializers.Serializer):
    """What a client may send to create or change an account: the edit form's fields. The
    types are checked here; everything else (who may own it, a disqualified account's
    reason, status rules) by the service, as for the form."""

    name = serializers.CharField(max_length=200)
    website = serializers.CharField(max_length=300, required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="A user id; yours when left out on creation.",
    )
    segment = serializers.PrimaryKeyRelatedField(
        queryset=Segment.objects.all(), required=False, allow_null=True
    )
    lead_source = serializers.PrimaryKeyRelatedField(
        queryset=LeadSource.objects.all(), required=False, allow_null=True
    )
    status = serializers.ChoiceField(choices=Account.Status.choices, required=False)
    disqualified_reason = serializers.CharField(required=False, allow_blank=True)


class ContactWriteSerializer(serializers.Serializer):
    """What a client may send to add or change a contact; the service checks the rest."""

    account = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The account's id (on creation only)."
    )
    name = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    buying_role = serializers.ChoiceField(choices=Contact.BuyingRole.choices, required=False)


def _ids(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=100,
        help_text=help_text,
    )


class ConversationSerializer(serializers.ModelSerializer):
    logged_by = PersonSerializer(read_only=True)
    contacts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    questions_asked = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    outcome_messages = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="On the answer to logging it only: what salesflow did about it, a sentence "
        "each (a follow-up proposed, a waiting one held longer). Empty when read back.",
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "account",
            "logged_by",
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
            "created_at",
            "outcome_messages",
        ]
        read_only_fields = fields


class ConversationWriteSerializer(serializers.Serializer):
    """What the logging form records. Types are checked here; the rest (something worth
    logging, contacts of this account, questions of this kind, not in the future) by
    conversation_log, as for the form."""

    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The account's id.")
    occurred_at = UpdatedSinceField(
        required=False,
        help_text="When it happened (ISO 8601 with offset); now when left out. Not later than now.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    kind = serializers.ChoiceField(choices=ConversationKind.choices)
    contacts = _ids("Ids of the account's contacts who took part.")
    questions_asked = _ids("Ids of the facilitative questions asked (of this kind).")
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    emotion_found = serializers.CharField(
        max_length=2_000,
        required=False,
        allow_blank=True,
        help_text="What the prospect feels about the problem, in a phrase.",
    )
    has_problem = serializers.ChoiceField(choices=Answer.choices, required=False)
    accepts_significance = serializers.ChoiceField(choices=Answer.choices, required=False)
    ready_to_act = serializers.ChoiceField(choices=Answer.choices, required=False)

    def validate_occurred_at(self, value: datetime) -> datetime:
        if value.date() < EARLIEST_DATE:
            raise serializers.ValidationError("That is too long ago; check the year.")
        return value


class ContactRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name"]
        read_only_fields = fields


class WhyNoteSerializer(serializers.ModelSerializer):
    said_by = ContactRefSerializer(read_only=True, allow_null=True)
    recorded_by = PersonSerializer(read_only=True)

    class Meta:
        model = WhyNote
        fields = ["id", "text", "said_by", "said_on", "recorded_by", "created_at"]
        read_only_fields = fields


class WhySerializer(serializers.Serializer):
    current = WhyNoteSerializer(allow_null=True, help_text="The why as it stands; null if none.")
    history = WhyNoteSerializer(
        many=True, help_text="Every version, newest first (the current one too), up to 20."
    )


class WhyWriteSerializer(serializers.Serializer):
    """A new version of the why: the why form's fields."""

    text = serializers.CharField(
        max_length=2_000, help_text="Why they started looking for a solution, in their words."
    )
    said_by = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="The id of the account's contact who said it.",
    )
    said_on = serializers.DateField(
        required=False, help_text="When it was said; today if left out."
    )

    def validate_said_on(self, value: date) -> date:
        if value < EARLIEST_DATE or value > timezone.localdate():
            raise serializers.ValidationError("Pick a date between 2000 and today.")
        return value
