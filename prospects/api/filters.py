"""The lists' query parameters, read and checked by serializers: a bad value is a 400
problem naming the parameter, never a 500 or a silently ignored filter."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from rest_framework import serializers

from prospects.models import Account, Contact, Conversation, ConversationKind
from prospects.selectors import AccountFilters

# Large enough for any id, small enough for PostgreSQL's bigint: a bigger one is refused
# as bad input instead of failing in the database.
MAX_ID = 2**63 - 1


def _id(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


class UpdatedSinceField(serializers.DateTimeField):
    """An ISO 8601 moment with its offset ("2026-12-01T09:00:00Z"): an integration's last
    sync. Without an offset the moment would depend on the server's time zone."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 date and time with its offset, e.g. 2026-12-01T09:00:00Z.",
        "naive": "Give the time's offset too (Z or +01:00): without it the moment is unclear.",
    }

    def __init__(self, **kwargs: object) -> None:
        super().__init__(input_formats=["iso-8601"], **kwargs)

    def to_internal_value(self, value: object) -> datetime:
        if isinstance(value, str) and not any(mark in value[10:] for mark in ("Z", "+", "-")):
            self.fail("naive")
        return super().to_internal_value(value)


class AccountQuery(serializers.Serializer):
    """The account list's filters: the same as the accounts page's, plus team and
    updated_since."""

    owner = _id("Only accounts this person owns (a user id).")
    team = _id("Only accounts owned by members of this team (a team id).")
    segment = _id("Only accounts in this segment (a segment id).")
    lead_source = _id("Only accounts from this lead source (a lead source id).")
    status = serializers.ChoiceField(
        choices=Account.Status.choices, required=False, help_text="Only accounts in this status."
    )
    updated_since = UpdatedSinceField(
        required=False,
        help_text="Only accounts changed at or after this moment (ISO 8601 with offset). "
        "With the cursor, lets an integration read only what changed since its last sync.",
    )

    def apply(self, accounts: QuerySet[Account]) -> QuerySet[Account]:
        data = self.validated_data
        if data.get("team"):
            accounts = accounts.filter(owner__team_id=data["team"])
        if data.get("updated_since"):
            accounts = accounts.filter(updated_at__gte=data["updated_since"])
        return accounts

    def page_filters(self) -> AccountFilters:
        """What the accounts page's selector filters on, from these parameters."""
        data = self.validated_data
        return AccountFilters(
            owner=data.get("owner"),
            segment=data.get("segment"),
            lead_source=data.get("lead_source"),
            status=data.get("status"),
        )


class ContactQuery(serializers.Serializer):
    account = _id("Only this account's contacts (an account id).")
    owner = _id("Only contacts of accounts this person owns (a user id).")
    team = _id("Only contacts of accounts owned by members of this team (a team id).")
    buying_role = serializers.ChoiceField(
        choices=Contact.BuyingRole.choices,
        required=False,
        help_text="Only contacts with this buying role.",
    )
    updated_since = UpdatedSinceField(
        required=False,
        help_text="Only contacts changed at or after this moment (ISO 8601 with offset): "
        "edited, moved by a merge of their account, or erased. With the cursor, lets an "
        "integration read only what changed since its last sync.",
    )

    def apply(self, contacts: QuerySet[Contact]) -> QuerySet[Contact]:
        data = self.validated_data
        if data.get("updated_since"):
            contacts = contacts.filter(updated_at__gte=data["updated_since"])
        lookups = {
            "account": "account_id",
            "owner": "account__owner_id",
            "team": "account__owner__team_id",
            "buying_role": "buying_role",
        }
        for name, lookup in lookups.items():
            if data.get(name):
                contacts = contacts.filter(**{lookup: data[name]})
        return contacts


class ConversationQuery(serializers.Serializer):
    """The conversation list's filters."""

    account = _id("Only this account's conversations (an account id).")
    owner = _id("Only conversations on accounts this person owns (a user id).")
    team = _id("Only conversations on accounts owned by members of this team (a team id).")
    logged_by = _id("Only conversations this person logged (a user id).")
    kind = serializers.ChoiceField(
        choices=ConversationKind.choices,
        required=False,
        help_text="Only conversations of this kind.",
    )
    created_since = UpdatedSinceField(
        required=False,
        help_text="Only conversations logged at or after this moment (ISO 8601 with "
        "offset). A conversation is not changed once logged, so with the cursor this reads "
        "everything new since an integration's last sync.",
    )

    def apply(self, conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
        data = self.validated_data
        lookups = {
            "account": "account_id",
            "owner": "account__owner_id",
            "team": "account__owner__team_id",
            "logged_by": "logged_by_id",
            "kind": "kind",
            "created_since": "created_at__gte",
        }
        for name, lookup in lookups.items():
            if data.get(name):
                conversations = conversations.filter(**{lookup: data[name]})
        return conversations
