"""/api/v1/ endpoints of follow-ups: the list of those the user can see, one follow-up with
why it is held and until when, creating one (held by the patience rules), and the moves a
person makes on it — surface now (with a reason), done, dismiss (with a reason) — and the
manager's approval of a draft (approve, send back) and the rep's rework.

Thin views over pipeline.followups: access through pipeline.followups.access (404 outside
the user's reach, 403 when it is read-only for them or not theirs to approve), every write
through pipeline.followups.services, which answers a refused move with its reason (400)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from pipeline.deals.models import Opportunity
from pipeline.followups import access as followup_access
from pipeline.followups import patience
from pipeline.followups import selectors as followup_selectors
from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp, FollowUpEvent, PatienceRule
from prospects.access import get_account_for_user
from prospects.api.filters import MAX_ID, UpdatedSinceField
from prospects.api.serializers import PersonSerializer
from prospects.models import Channel, ConversationKind
from salesflow.core.api.errors import problem_responses
from salesflow.core.api.idempotency import (
    IDEMPOTENCY_KEY_PARAMETER,
    idempotency_responses,
    idempotent,
)
from salesflow.core.audit.api import ObjectHistoryView, history_schema
from salesflow.core.models import User

TAGS = ["follow-ups"]

# --- What the API shows -----------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class HoldSerializer(serializers.Serializer):
    """One patience rule that holds the follow-up back, and until when."""

    rule = serializers.ChoiceField(
        choices=[*PatienceRule.Kind.choices, (patience.NOT_BEFORE, patience.NOT_BEFORE_LABEL)]
    )
    rule_label = serializers.SerializerMethodField()
    why = serializers.CharField(help_text="The rule's reason, as said to the rep.")
    until = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField)
    def get_rule_label(self, hold: dict[str, str]) -> str:
        if hold["rule"] == patience.NOT_BEFORE:
            return patience.NOT_BEFORE_LABEL
        try:
            return str(PatienceRule.Kind(hold["rule"]).label)
        except ValueError:  # a kind since retired: its name is all there is
            return hold["rule"]


class ApprovalSerializer(serializers.Serializer):
    """The manager's second look at the draft, where the team asks for one."""

    state = serializers.ChoiceField(
        source="review",
        choices=FollowUp.Approval.choices,
        help_text="Empty: the team does not review drafts.",
    )
    awaiting = serializers.BooleanField(
        source="awaiting_approval",
        help_text="Held for the manager: waiting for approval, or sent back for rework.",
    )
    comment = serializers.CharField(source="review_comment")
    reviewed_by = PersonSerializer(allow_null=True)


class FollowUpSerializer(serializers.ModelSerializer):
    """A follow-up as its page shows it."""

    account = RefSerializer(read_only=True)
    deal = RefSerializer(source="opportunity", read_only=True, allow_null=True)
    owner = PersonSerializer(read_only=True)
    due = serializers.BooleanField(
        source="is_due",
        read_only=True,
        help_text="To act on now: surfaced, or held past its time with no approval in the way.",
    )
    held_until = serializers.SerializerMethodField(
        help_text="While it is held back: when it may surface (the latest of its holds)."
    )
    holds = HoldSerializer(
        many=True, read_only=True, help_text="Every patience rule that held it, and why."
    )
    approval = ApprovalSerializer(source="*", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "account",
            "deal",
            "owner",
            "channel",
            "purpose",
            "draft",
            "status",
            "due",
            "held_until",
            "holds",
            "not_before",
            "end_of_quarter",
            "approval",
            "proposed",
            "surface_at",
            "surfaced_at",
            "surfaced_early_reason",
            "closed_at",
            "dismissed_reason",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_held_until(self, follow_up: FollowUp) -> str | None:
        if follow_up.status == FollowUp.Status.HELD and not follow_up.is_due:
            return serializers.DateTimeField().to_representation(follow_up.surface_at)
        return None


class EventSerializer(serializers.ModelSerializer):
    by = PersonSerializer(read_only=True, allow_null=True, help_text="Null: salesflow itself.")

    class Meta:
        model = FollowUpEvent
        fields = ["action", "at", "by", "note"]
        read_only_fields = fields


class FollowUpDetailSerializer(FollowUpSerializer):
    can_edit = serializers.SerializerMethodField(help_text="Whether you may move or rework it.")
    may_approve = serializers.SerializerMethodField(
        help_text="Whether its approval is yours to give (the manager of the owner's team)."
    )
    history = EventSerializer(source="events", many=True, read_only=True)

    class Meta(FollowUpSerializer.Meta):
        fields = [*FollowUpSerializer.Meta.fields, "can_edit", "may_approve", "history"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField)
    def get_can_edit(self, follow_up: FollowUp) -> bool:
        return followup_access.can_edit_followup(self.context["user"], follow_up)

    @extend_schema_field(serializers.BooleanField)
    def get_may_approve(self, follow_up: FollowUp) -> bool:
        return followup_access.may_approve_followup(user=self.context["user"], follow_up=follow_up)


def _detail(user: User, pk: int, *, status_code: int = 200) -> Response:
    """The follow-up as it now stands, read again through access: a move's answer shows
    whether it is due, held and why, like its page after the move."""
    follow_up = followup_access.get_followup_for_user(user, pk)
    follow_up = (
        followup_selectors.with_due(FollowUp.objects.filter(pk=follow_up.pk))
        .select_related("account", "opportunity", "owner", "reviewed_by")
        .prefetch_related("events__by")
        .get()
    )
    data = FollowUpDetailSerializer(follow_up, context={"user": user}).data
    return Response(data, status=status_code)


# --- Query parameters and bodies ----------------------------------------------------------


def _id(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


class FollowUpQuery(serializers.Serializer):
    """The list's filters: what the home page's Due, Held and To approve panels and the
    account page sort follow-ups by, for everything the user can see."""

    status = serializers.ChoiceField(
        choices=FollowUp.Status.choices, required=False, help_text="Only follow-ups in this status."
    )
    due = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="true: only those due now (surfaced, or held past their time with no "
        "approval in the way); false: only those not due.",
    )
    awaiting_approval = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="true: only those held for the manager's approval (waiting, or sent back).",
    )
    account = _id("Only this account's follow-ups (an account id).")
    deal = _id("Only this deal's follow-ups (a deal id).")
    owner = _id("Only follow-ups this person owns (a user id).")
    team = _id("Only follow-ups owned by members of this team (a team id).")
    updated_since = UpdatedSinceField(
        required=False,
        help_text="Only follow-ups with something in their history at or after this moment "
        "(created, held longer, surfaced, done, dismissed, reviewed, reworked): your last "
        "sync's time.",
    )

    def apply(self, follow_ups: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
        data = self.validated_data
        lookups = {
            "status": "status",
            "account": "account_id",
            "deal": "opportunity_id",
            "owner": "owner_id",
            "team": "owner__team_id",
        }
        for name, lookup in lookups.items():
            if data.get(name):
                follow_ups = follow_ups.filter(**{lookup: data[name]})
        due = followup_selectors.followup_due_condition(now=timezone.now())
        if data.get("due") is not None:
            follow_ups = follow_ups.filter(due) if data["due"] else follow_ups.exclude(due)
        awaiting = followup_selectors.FOLLOWUP_AWAITING_APPROVAL
        if data.get("awaiting_approval") is not None:
            follow_ups = (
                follow_ups.filter(awaiting)
                if data["awaiting_approval"]
                else follow_ups.exclude(awaiting)
            )
        if data.get("updated_since"):
            # Every change to a follow-up writes its history (the sweep's surfacing too):
            # its events are its change times. Read through the events' follow_up index.
            changed = FollowUpEvent.objects.filter(
                follow_up=OuterRef("pk"), at__gte=data["updated_since"]
            )
            follow_ups = follow_ups.filter(Exists(changed))
        return follow_ups


class FollowUpCreateSerializer(serializers.Serializer):
    """The new-follow-up form's fields; the service holds it by the patience rules."""

    account = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The account's id (one you may change)."
    )
    deal = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="One of the account's open deals (an id).",
    )
    purpose = serializers.CharField(
        max_length=300, help_text="What will it accomplish? Required: without it, it is pressure."
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    draft = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        help_text="The email, or your talking points.",
    )
    not_before = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Optional: not before this day's business morning in the owner's time zone "
        "(today or later, within a year); the patience rules may hold it longer.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class FollowUpDoneSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ConversationKind.choices,
        required=False,
        allow_blank=True,
        help_text="The kind of conversation it led to, logged in the same step; leave it out "
        "to log none.",
    )
    notes = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, help_text="That conversation's notes."
    )


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)
    draft = serializers.CharField(
        max_length=10_000,
        required=False,
        trim_whitespace=False,
        allow_blank=True,
        help_text="The draft as you edited it; left out, it stays as the rep wrote it.",
    )


class SendBackSerializer(ApproveSerializer):
    comment = serializers.CharField(max_length=500, help_text="What to change before it goes out.")


class ReviseSerializer(serializers.Serializer):
    purpose = serializers.CharField(max_length=300)
    draft = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The new draft; left out, it stays as it is.",
    )


# --- Examples -----------------------------------------------------------------------------

FOLLOWUP_VALUE = {
    "id": 512,
    "account": {"id": 42, "name": "Northwind Clinics"},
    "deal": {"id": 17, "name": "Patient flow"},
    "owner": {"id": 7, "username": "sam", "name": "Sam Reyes", "team": 2},
    "channel": "email",
    "purpose": "Hear how the solution call sits with them.",
    "draft": "Hi Dana, …",
    "status": "held",
    "due": False,
    "held_until": "2026-12-09T09:00:00+01:00",
    "holds": [
        {
            "rule": "after_conversation",
            "rule_label": "After a conversation of a kind",
            "why": "Let the solution call sink in.",
            "until": "2026-12-09T09:00:00+01:00",
        }
    ],
    "not_before": None,
    "end_of_quarter": False,
    "approval": {"state": "", "awaiting": False, "comment": "", "reviewed_by": None},
    "proposed": False,
    "surface_at": "2026-12-09T08:00:00Z",
    "surfaced_at": None,
    "surfaced_early_reason": "",
    "closed_at": None,
    "dismissed_reason": "",
    "created_at": "2026-12-07T16:20:00Z",
}
DETAIL_VALUE = {
    **FOLLOWUP_VALUE,
    "can_edit": True,
    "may_approve": False,
    "history": [
        {
            "action": "held",
            "at": "2026-12-07T16:20:00Z",
            "by": {"id": 7, "username": "sam", "name": "Sam Reyes", "team": 2},
            "note": "Let the solution call sink in.",
        }
    ],
}
FOLLOWUP_EXAMPLE = OpenApiExample("A held follow-up", value=FOLLOWUP_VALUE, response_only=True)
DETAIL_EXAMPLE = OpenApiExample("A held follow-up", value=DETAIL_VALUE, response_only=True)

# --- Views --------------------------------------------------------------------------------


@extend_schema(
    summary="List the follow-ups you can see",
    description="The follow-ups on the accounts you can see, in the order they were made, 50 "
    "a page (page_size up to 200). Follow `next` to walk them; pass `updated_since` (your "
    "last sync's time) to read only those that changed.",
    parameters=[FollowUpQuery],
    responses={200: FollowUpSerializer(many=True), **problem_responses(400, 401)},
    examples=[FOLLOWUP_EXAMPLE],
    tags=TAGS,
)
class FollowUpList(generics.ListAPIView):
    serializer_class = FollowUpSerializer
    # The primary key: it never changes, so a walk reads each row once even while holds
    # move surface_at; with updated_since a sync still reads only what changed.
    pagination_ordering = ("id",)

    def get_queryset(self) -> QuerySet[FollowUp]:
        """The page's ids: filtered, without the joins of what is shown (see list)."""
        query = FollowUpQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(followup_access.followups_visible_to(self.request.user)).only("id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The page is found first, then its rows are read with what they show. In one query,
        # the joins the rows need leave PostgreSQL too many tables to reorder (more than
        # join_collapse_limit), and updated_since then joins every follow-up before it picks
        # the few that changed: hundreds of milliseconds at 200,000 follow-ups, against tens.
        page = self.paginate_queryset(self.get_queryset()) or []
        rows = (
            followup_selectors.with_due(FollowUp.objects.filter(pk__in=[row.pk for row in page]))
            .select_related("account", "opportunity", "owner", "reviewed_by")
            .in_bulk()
        )
        return self.get_paginated_response(
            FollowUpSerializer([rows[row.pk] for row in page], many=True).data
        )

    @extend_schema(
        summary="Create a follow-up",
        description="On an account you may change (a teammate's is read-only for a rep: 403), "
        "optionally for one of its open deals. It says what it will accomplish, and is held "
        "for as long as the patience rules say (`holds` says why, `held_until` until when); "
        "where the team asks for it, the manager approves the draft first. Send an "
        "`Idempotency-Key` to retry safely.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=FollowUpCreateSerializer,
        responses={
            201: FollowUpDetailSerializer,
            **problem_responses(400, 401, 403),
            **idempotency_responses(),
        },
        examples=[
            OpenApiExample(
                "A new follow-up",
                value={
                    "account": 42,
                    "deal": 17,
                    "purpose": "Hear how the solution call sits with them.",
                    "channel": "email",
                    "draft": "Hi Dana, …",
                },
                request_only=True,
            ),
            DETAIL_EXAMPLE,
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = FollowUpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            account = get_account_for_user(request.user, fields.pop("account"), for_edit=True)
        except Http404:
            raise exceptions.ValidationError({"account": ["No such account."]}) from None
        deal_id = fields.pop("deal", None)
        opportunity = None
        if deal_id is not None:
            # The form's choice: the account's open deals.
            opportunity = Opportunity.objects.filter(
                pk=deal_id, account=account, closed_at__isnull=True
            ).first()
            if opportunity is None:
                raise exceptions.ValidationError(
                    {"deal": ["Pick one of this account's open deals."]}
                )
        follow_up = followup_services.followup_create(
            actor=request.user, account=account, opportunity=opportunity, **fields
        )
        return _detail(request.user, follow_up.pk, status_code=status.HTTP_201_CREATED)


class FollowUpDetail(generics.GenericAPIView):
    queryset = FollowUp.objects.none()
    serializer_class = FollowUpDetailSerializer

    @extend_schema(
        summary="One follow-up",
        description="With why it is held and until when (`holds`, `held_until`), the "
        "approval, and its history.",
        responses={200: FollowUpDetailSerializer, **problem_responses(401, 404)},
        examples=[DETAIL_EXAMPLE],
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request.user, pk)


def _move_schema(summary: str, description: str, request: Any, example: dict | None) -> Any:
    examples = [DETAIL_EXAMPLE]
    if example is not None:
        examples.insert(0, OpenApiExample("Body", value=example, request_only=True))
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses={200: FollowUpDetailSerializer, **problem_responses(400, 401, 403, 404)},
        examples=examples,
        tags=TAGS,
    )


class _Move(generics.GenericAPIView):
    queryset = FollowUp.objects.none()
    serializer_class = FollowUpDetailSerializer
    body: type[serializers.Serializer] | None = None

    def load(self, request: Request, pk: int) -> FollowUp:
        # As the pages: moving or reworking it takes the right to change it.
        return followup_access.get_followup_for_user(request.user, pk, for_edit=True)

    def move(self, user: User, follow_up: FollowUp, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        follow_up = self.load(request, pk)
        data: dict[str, Any] = {}
        if self.body is not None:
            body = self.body(data=request.data)
            body.is_valid(raise_exception=True)
            data = dict(body.validated_data)
        self.move(request.user, follow_up, data)
        return _detail(request.user, pk)


class FollowUpSurfaceNow(_Move):
    body = ReasonSerializer

    @_move_schema(
        "Surface a follow-up now",
        "Break the patience on purpose: the reason is kept, and your manager sees it. Not "
        "past an approval the team asked for (400, saying so).",
        ReasonSerializer,
        {"reason": "They asked for the quote before Friday's board."},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, user: User, follow_up: FollowUp, data: dict[str, Any]) -> None:
        followup_services.followup_surface_now(actor=user, follow_up=follow_up, **data)


class FollowUpDone(_Move):
    body = FollowUpDoneSerializer

    @_move_schema(
        "Mark a follow-up done",
        "Once it is due (surfaced, or held past its time); a held one still waiting is "
        "refused (400, saying why). With `kind`, the conversation it led to is logged in "
        "the same step.",
        FollowUpDoneSerializer,
        {"kind": "solution_development", "notes": "Walked Dana through the pilot plan."},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, user: User, follow_up: FollowUp, data: dict[str, Any]) -> None:
        followup_services.followup_done(actor=user, follow_up=follow_up, **data)


class FollowUpDismiss(_Move):
    body = ReasonSerializer

    @_move_schema(
        "Dismiss a follow-up",
        "With the reason why, which is kept. Done and dismissed follow-ups are final.",
        ReasonSerializer,
        {"reason": "They signed with us; no need to chase."},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, user: User, follow_up: FollowUp, data: dict[str, Any]) -> None:
        followup_services.followup_dismiss(actor=user, follow_up=follow_up, **data)


class FollowUpRevise(_Move):
    body = ReviseSerializer

    @_move_schema(
        "Rework a held follow-up's draft",
        "Its purpose and draft; where the team asks for approval, it waits for the manager again.",
        ReviseSerializer,
        {"purpose": "Check the pilot's scope with Dana.", "draft": "Hi Dana, …"},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, user: User, follow_up: FollowUp, data: dict[str, Any]) -> None:
        # Left out, the draft stays as it is (the page always sends its text box).
        data.setdefault("draft", follow_up.draft)
        followup_services.followup_revise(actor=user, follow_up=follow_up, **data)


class _Decision(_Move):
    def load(self, request: Request, pk: int) -> FollowUp:
        # The manager of the owner's team (or an admin): 403 for anyone else who sees it.
        return followup_access.get_followup_to_approve(request.user, pk)


class FollowUpApprove(_Decision):
    body = ApproveSerializer

    @_move_schema(
        "Approve a follow-up's draft",
        "The manager's second look, perhaps editing the draft first; it then surfaces when "
        "its time comes. Only a draft waiting for approval (400 otherwise).",
        ApproveSerializer,
        {"comment": "Good: short and about their why."},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, user: User, follow_up: FollowUp, data: dict[str, Any]) -> None:
        followup_services.followup_approve(actor=user, follow_up=follow_up, **data)


class FollowUpSendBack(_Decision):
    body = SendBackSerializer

    @_move_schema(
        "Send a follow-up's draft back",
        "For rework, saying what to change (required); the rep is told.",
        SendBackSerializer,
        {"comment": "Lead with their board date, not our discount."},
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def move(self, user: User, follow_up: FollowUp, data: dict[str, Any]) -> None:
        followup_services.followup_send_back(actor=user, follow_up=follow_up, **data)


@history_schema("follow-up", tag=TAGS[0])
class FollowUpHistory(ObjectHistoryView):
    def get_record(self, pk: int) -> FollowUp:
        return followup_access.get_followup_for_user(self.request.user, pk)
