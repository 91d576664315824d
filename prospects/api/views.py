"""Thin views: access through prospects.access, reads through prospects.selectors, query
parameters checked by prospects.api.filters. Errors are answered as problem details by
salesflow.core.api.errors."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics

from prospects.access import get_account_for_user, get_contact_for_user
from prospects.api.filters import AccountQuery, ContactQuery
from prospects.api.serializers import AccountSerializer, ContactSerializer
from prospects.models import Account, Contact
from prospects.selectors import account_list, contact_list
from salesflow.core.api.errors import problem_responses

ACCOUNT_EXAMPLE = OpenApiExample(
    "An account",
    value={
        "id": 42,
        "name": "Northwind Clinics",
        "website": "https://northwind.example",
        "status": "prospect",
        "disqualified_reason": "",
        "owner": {"id": 7, "username": "sam", "name": "Sam Reyes", "team": 2},
        "segment": {"id": 3, "name": "Hospitals"},
        "lead_source": {"id": 5, "name": "Referral"},
        "has_problem": "yes",
        "accepts_significance": "unknown",
        "ready_to_act": "unknown",
        "created_at": "2026-11-02T10:15:00Z",
        "updated_at": "2026-12-01T09:30:12.123456Z",
    },
    response_only=True,
)
CONTACT_EXAMPLE = OpenApiExample(
    "A contact",
    value={
        "id": 301,
        "account": 42,
        "name": "Dana Whitfield",
        "title": "Head of Operations",
        "email": "dana@northwind.example",
        "phone": "+44 20 7946 0000",
        "buying_role": "champion",
        "erased": False,
    },
    response_only=True,
)


@extend_schema(
    summary="List the accounts you can see",
    description="The accounts the accounts page shows you, oldest change first, 50 a page "
    "(page_size up to 200). Follow `next` to walk them; pass `updated_since` (your last "
    "sync's time) to read only what changed.",
    parameters=[AccountQuery],
    responses={200: AccountSerializer(many=True), **problem_responses(400, 401)},
    examples=[ACCOUNT_EXAMPLE],
    tags=["accounts"],
)
class AccountList(generics.ListAPIView):
    serializer_class = AccountSerializer
    # (updated_at, id) is indexed (prospects 0008): the keyset the pages walk.
    pagination_ordering = ("updated_at", "id")

    def get_queryset(self) -> QuerySet[Account]:
        query = AccountQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        accounts = account_list(user=self.request.user, filters=query.page_filters())
        return query.apply(accounts).select_related("owner", "segment", "lead_source")


@extend_schema(
    summary="One account",
    responses={200: AccountSerializer, **problem_responses(401, 404)},
    examples=[ACCOUNT_EXAMPLE],
    tags=["accounts"],
)
class AccountDetail(generics.RetrieveAPIView):
    serializer_class = AccountSerializer
    queryset = Account.objects.none()  # for the schema: the object comes from access

    def get_object(self) -> Account:
        return get_account_for_user(self.request.user, self.kwargs["pk"])


@extend_schema(
    summary="List the contacts you can see",
    description="The contacts of the accounts you can see, in the order they were added, "
    "50 a page (page_size up to 200). An erased person appears as the placeholder "
    "“Erased contact” with `erased: true`, as on the pages.",
    parameters=[ContactQuery],
    responses={200: ContactSerializer(many=True), **problem_responses(400, 401)},
    examples=[CONTACT_EXAMPLE],
    tags=["contacts"],
)
class ContactList(generics.ListAPIView):
    serializer_class = ContactSerializer
    # Contacts have no change time; their primary key is the keyset.
    pagination_ordering = ("id",)

    def get_queryset(self) -> QuerySet[Contact]:
        query = ContactQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(contact_list(user=self.request.user))


@extend_schema(
    summary="One contact",
    responses={200: ContactSerializer, **problem_responses(401, 404)},
    examples=[CONTACT_EXAMPLE],
    tags=["contacts"],
)
class ContactDetail(generics.RetrieveAPIView):
    serializer_class = ContactSerializer
    queryset = Contact.objects.none()

    def get_object(self) -> Contact:
        return get_contact_for_user(self.request.user, self.kwargs["pk"])
