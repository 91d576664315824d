"""What the API shows of an account and a contact: what their pages show."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from prospects.models import Account, Contact, LeadSource, Segment
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
        fields = ["id", "account", "name", "title", "email", "phone", "buying_role", "erased"]
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
