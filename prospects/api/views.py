"""Thin views: access through prospects.access, reads through prospects.selectors, query
parameters checked by prospects.api.filters. Errors are answered as problem details by
salesflow.core.api.errors."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from prospects.access import get_account_for_user, get_contact_for_user
from prospects.api.filters import AccountQuery, ContactQuery
from prospects.api.serializers import (
    AccountSerializer,
    AccountWriteSerializer,
    ContactSerializer,
    ContactWriteSerializer,
)
from prospects.models import Account, Contact
from prospects.selectors import account_list, contact_list
from prospects.services import account_create, account_update, contact_save
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


ACCOUNT_WRITE_EXAMPLE = OpenApiExample(
    "A new account",
    value={"name": "Northwind Clinics", "website": "https://northwind.example", "segment": 3},
    request_only=True,
)


@extend_schema_view(
    post=extend_schema(
        summary="Create an account",
        description="Yours unless `owner` names someone you may give accounts to (a manager: "
        "their team; sales ops: anyone). Checked as the new-account form checks it.",
        request=AccountWriteSerializer,
        responses={201: AccountSerializer, **problem_responses(400, 401, 403)},
        examples=[ACCOUNT_WRITE_EXAMPLE, ACCOUNT_EXAMPLE],
        tags=["accounts"],
    )
)
@extend_schema(
    summary="List the accounts you can see",
    description="The accounts your accounts page shows you, oldest change first, 50 a page "
    "(page_size up to 200). Follow `next` to walk them; pass `updated_since` (your last "
    "sync's time) to read only what changed.",
    parameters=[AccountQuery],
    responses={200: AccountSerializer(many=True), **problem_responses(400, 401)},
    examples=[ACCOUNT_EXAMPLE],
    tags=["accounts"],
)
class AccountList(generics.ListAPIView):
    def post(self, request: Request) -> Response:
        data = AccountWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {"owner": request.user, **data.validated_data}
        account = account_create(actor=request.user, **fields)
        return Response(AccountSerializer(account).data, status=status.HTTP_201_CREATED)

    serializer_class = AccountSerializer
    # (updated_at, id) is indexed (prospects 0008): the keyset the pages walk.
    pagination_ordering = ("updated_at", "id")

    def get_queryset(self) -> QuerySet[Account]:
        query = AccountQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        accounts = account_list(user=self.request.user, filters=query.page_filters())
        return query.apply(accounts).select_related("owner", "segment", "lead_source")


@extend_schema_view(
    patch=extend_schema(
        summary="Change an account",
        description="Send only the fields to change. A teammate's account is read-only for "
        "a rep (403), as on its page.",
        request=AccountWriteSerializer,
        responses={200: AccountSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Disqualify",
                value={"status": "disqualified", "disqualified_reason": "No budget this year."},
                request_only=True,
            ),
            ACCOUNT_EXAMPLE,
        ],
        tags=["accounts"],
    )
)
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

    def patch(self, request: Request, pk: int) -> Response:
        account = get_account_for_user(request.user, pk, for_edit=True)
        data = AccountWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        account = account_update(actor=request.user, account=account, **data.validated_data)
        return Response(AccountSerializer(account).data)


CONTACT_WRITE_EXAMPLE = OpenApiExample(
    "A new contact",
    value={"account": 42, "name": "Dana Whitfield", "buying_role": "champion"},
    request_only=True,
)


@extend_schema_view(
    post=extend_schema(
        summary="Add a contact to an account",
        description="To an account you may change (a teammate's is read-only for a rep: 403).",
        request=ContactWriteSerializer,
        responses={201: ContactSerializer, **problem_responses(400, 401, 403)},
        examples=[CONTACT_WRITE_EXAMPLE, CONTACT_EXAMPLE],
        tags=["contacts"],
    )
)
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
    def post(self, request: Request) -> Response:
        data = ContactWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            account = get_account_for_user(request.user, fields.pop("account"), for_edit=True)
        except Http404:
            raise ValidationError({"account": "No such account."}) from None
        contact = contact_save(actor=request.user, contact=Contact(account=account, **fields))
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    serializer_class = ContactSerializer
    # Contacts have no change time; their primary key is the keyset.
    pagination_ordering = ("id",)

    def get_queryset(self) -> QuerySet[Contact]:
        query = ContactQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(contact_list(user=self.request.user))


@extend_schema_view(
    patch=extend_schema(
        summary="Change a contact",
        description="Send only the fields to change; a contact stays with its account. An "
        "erased contact cannot be changed (add a new one).",
        request=ContactWriteSerializer,
        responses={200: ContactSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample("New title", value={"title": "COO"}, request_only=True),
            CONTACT_EXAMPLE,
        ],
        tags=["contacts"],
    )
)
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

    def patch(self, request: Request, pk: int) -> Response:
        contact = get_contact_for_user(request.user, pk, for_edit=True)
        data = ContactWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "account" in changes:
            raise ValidationError({"account": "A contact stays with its account."})
        for field, value in changes.items():
            setattr(contact, field, value)
        contact = contact_save(actor=request.user, contact=contact)
        return Response(ContactSerializer(contact).data)
