"""Thin views: access through prospects.access, reads through prospects.selectors, query
parameters checked by prospects.api.filters. Errors are answered as problem details by
salesflow.core.api.errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from prospects.access import (
    get_account_for_user,
    get_contact_for_user,
    get_conversation_for_user,
)
from prospects.api.filters import AccountQuery, ContactQuery, ConversationQuery
from prospects.api.serializers import (
    AccountSerializer,
    AccountWriteSerializer,
    ContactSerializer,
    ContactWriteSerializer,
    ConversationSerializer,
    ConversationWriteSerializer,
    WhyNoteSerializer,
    WhySerializer,
    WhyWriteSerializer,
)
from prospects.models import Account, Contact, Conversation, FacilitativeQuestion
from prospects.selectors import (
    account_list,
    contact_list,
    conversation_list,
    current_why,
    why_history,
)
from prospects.services import (
    account_create,
    account_update,
    contact_save,
    conversation_log,
    why_record,
)
from salesflow.core.api.errors import problem_responses
from salesflow.core.api.idempotency import (
    IDEMPOTENCY_KEY_PARAMETER,
    idempotency_responses,
    idempotent,
)
from salesflow.core.audit.api import ObjectHistoryView, history_schema

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
        "updated_at": "2026-12-01T10:31:07Z",
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
    description="The contacts of the accounts you can see, oldest change first, 50 a page "
    "(page_size up to 200). Follow `next` to walk them; pass `updated_since` (your last "
    "sync's time) to read only what changed. An erased person appears as the placeholder "
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
    # (updated_at, id) is indexed (prospects 0010): the keyset a sync walks.
    pagination_ordering = ("updated_at", "id")

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


CONVERSATION_EXAMPLE = OpenApiExample(
    "A conversation",
    value={
        "id": 1207,
        "account": 42,
        "logged_by": {"id": 7, "username": "sam", "name": "Sam Reyes", "team": 2},
        "occurred_at": "2026-12-01T10:30:00Z",
        "channel": "call",
        "kind": "qualifying",
        "contacts": [301],
        "questions_asked": [12, 14],
        "notes": "Bed turnover slips every Monday; discharge letters wait for sign-off.",
        "emotion_found": "Tired of apologising to the ward sisters.",
        "has_problem": "yes",
        "accepts_significance": "yes",
        "ready_to_act": "unknown",
        "created_at": "2026-12-01T10:41:07.512300Z",
        "outcome_messages": [],
    },
    response_only=True,
)
CONVERSATION_WRITE_EXAMPLE = OpenApiExample(
    "Log a call",
    value={
        "account": 42,
        "occurred_at": "2026-12-01T10:30:00Z",
        "channel": "call",
        "kind": "qualifying",
        "contacts": [301],
        "questions_asked": [12, 14],
        "notes": "Bed turnover slips every Monday; discharge letters wait for sign-off.",
        "emotion_found": "Tired of apologising to the ward sisters.",
        "has_problem": "yes",
        "accepts_significance": "yes",
    },
    request_only=True,
)


def _found(model: type[Model], ids: list[int], field: str, **within: object) -> list[Any]:
    """The rows with these ids (in `within`), or a 400 naming the field if any is missing."""
    wanted = set(ids)
    rows = list(model._default_manager.filter(pk__in=wanted, **within))
    if len(rows) != len(wanted):
        raise ValidationError({field: NOT_FOUND[field]})
    return rows


NOT_FOUND = {
    "contacts": "Pick contacts of this account only.",
    "questions_asked": "Pick questions that are offered (of this kind of conversation).",
    "said_by": "Pick a contact of this account.",
}


@extend_schema_view(
    post=extend_schema(
        summary="Log a conversation",
        description="On an account you may change (a teammate's is read-only for a rep: "
        "403), recorded as the logging form records it: the account's readiness answers "
        "move on where the conversation says so, and the pipeline acts on it (a follow-up "
        "may be proposed: `outcome_messages` says so). Something must be recorded: notes, "
        "the emotion found, an answer or a question asked. Send an `Idempotency-Key` to "
        "retry safely.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=ConversationWriteSerializer,
        responses={
            201: ConversationSerializer,
            **problem_responses(400, 401, 403),
            **idempotency_responses(),
        },
        examples=[CONVERSATION_WRITE_EXAMPLE, CONVERSATION_EXAMPLE],
        tags=["conversations"],
    )
)
@extend_schema(
    summary="List the conversations you can see",
    description="The conversations on the accounts you can see, in the order they were "
    "logged, 50 a page (page_size up to 200). Pass `created_since` (your last sync's time) "
    "to read only the new ones.",
    parameters=[ConversationQuery],
    responses={200: ConversationSerializer(many=True), **problem_responses(400, 401)},
    examples=[CONVERSATION_EXAMPLE],
    tags=["conversations"],
)
class ConversationList(generics.ListAPIView):
    serializer_class = ConversationSerializer
    # (created_at, id) is indexed (prospects 0009): conversations are never changed, so the
    # order they were logged in is the order a sync reads them.
    pagination_ordering = ("created_at", "id")

    def get_queryset(self) -> QuerySet[Conversation]:
        query = ConversationQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(conversation_list(user=self.request.user))

    @idempotent
    def post(self, request: Request) -> Response:
        data = ConversationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            account = get_account_for_user(request.user, fields.pop("account"), for_edit=True)
        except Http404:
            raise ValidationError({"account": "No such account."}) from None
        fields["contacts"] = _found(
            Contact, fields.get("contacts", []), "contacts", account=account
        )
        fields["questions_asked"] = _found(
            FacilitativeQuestion, fields.get("questions_asked", []), "questions_asked", active=True
        )
        fields.setdefault("occurred_at", timezone.now())
        conversation = conversation_log(actor=request.user, account=account, **fields)
        return Response(ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="One conversation",
    responses={200: ConversationSerializer, **problem_responses(401, 404)},
    examples=[CONVERSATION_EXAMPLE],
    tags=["conversations"],
)
class ConversationDetail(generics.RetrieveAPIView):
    serializer_class = ConversationSerializer
    queryset = Conversation.objects.none()

    def get_object(self) -> Conversation:
        return get_conversation_for_user(self.request.user, self.kwargs["pk"])


WHY_NOTE_EXAMPLE = {
    "id": 88,
    "text": "Two patients waited on trolleys overnight in March; the board wants it never again.",
    "said_by": {"id": 301, "name": "Dana Whitfield"},
    "said_on": "2026-11-20",
    "recorded_by": {"id": 7, "username": "sam", "name": "Sam Reyes", "team": 2},
    "created_at": "2026-11-20T15:02:11.004000Z",
}


@extend_schema_view(
    get=extend_schema(
        summary="An account's why",
        description="The prospect's why as it stands, and its versions, newest first (the "
        "current one too, up to 20): what the account page shows.",
        responses={200: WhySerializer, **problem_responses(401, 404)},
        examples=[
            OpenApiExample(
                "A why and its history",
                value={"current": WHY_NOTE_EXAMPLE, "history": [WHY_NOTE_EXAMPLE]},
                response_only=True,
            )
        ],
        tags=["why"],
    ),
    post=extend_schema(
        summary="Record an account's why",
        description="A new version of the why; the earlier ones stay in its history. Sent "
        "unchanged (same text, contact and date), nothing new is recorded and the current "
        "version is answered with 200. A teammate's account is read-only for a rep (403).",
        request=WhyWriteSerializer,
        responses={
            201: WhyNoteSerializer,
            200: WhyNoteSerializer,
            **problem_responses(400, 401, 403, 404),
        },
        examples=[
            OpenApiExample(
                "Their why",
                value={
                    "text": WHY_NOTE_EXAMPLE["text"],
                    "said_by": 301,
                    "said_on": "2026-11-20",
                },
                request_only=True,
            ),
            OpenApiExample("The recorded version", value=WHY_NOTE_EXAMPLE, response_only=True),
        ],
        tags=["why"],
    ),
)
class AccountWhy(generics.GenericAPIView):
    serializer_class = WhySerializer
    queryset = Account.objects.none()
    pagination_class = None

    def get(self, request: Request, pk: int) -> Response:
        account = get_account_for_user(request.user, pk)
        history = why_history(account=account, limit=20)
        body = {"current": history[0] if history else None, "history": history}
        return Response(WhySerializer(body).data)

    def post(self, request: Request, pk: int) -> Response:
        account = get_account_for_user(request.user, pk, for_edit=True)
        data = WhyWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        said_by = fields.pop("said_by", None)
        if said_by is not None:
            said_by = _found(Contact, [said_by], "said_by", account=account)[0]
        before = current_why(account=account)
        note = why_record(
            actor=request.user,
            account=account,
            text=fields["text"],
            said_on=fields.get("said_on") or timezone.localdate(),
            said_by=said_by,
        )
        created = before is None or note.pk != before.pk
        return Response(
            WhyNoteSerializer(note).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- Audit history (the History tabs' lines) ---


@history_schema("account", tag="accounts")
class AccountHistory(ObjectHistoryView):
    def get_record(self, pk: int) -> Account:
        return get_account_for_user(self.request.user, pk)


@history_schema("contact", tag="contacts")
class ContactHistory(ObjectHistoryView):
    def get_record(self, pk: int) -> Contact:
        return get_contact_for_user(self.request.user, pk)
