"""/api/v1/ deals: the list (the board's filters, open and closed deals), one deal, opening
and changing one, moving it between stages (closing it won, lost or disqualified with a
reason), its stage history, and the close reasons a client picks from.

Access through pipeline.deals.access, reads through pipeline.deals.selectors, writes through
pipeline.deals.services: the API can do exactly what the board and the deal page allow.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from pipeline.deals import selectors as deal_selectors
from pipeline.deals import services as deal_services
from pipeline.deals.access import get_opportunity_for_user
from pipeline.deals.models import CloseReason, Opportunity, Pipeline, Stage, StageChange
from prospects import access as prospect_access
from prospects.api.filters import MAX_ID, UpdatedSinceField
from prospects.api.serializers import PersonSerializer
from prospects.models import Currency, LeadSource
from salesflow.core.api.errors import problem_responses
from salesflow.core.api.idempotency import (
    IDEMPOTENCY_KEY_PARAMETER,
    idempotency_responses,
    idempotent,
)
from salesflow.core.audit.api import ObjectHistoryView, history_schema
from salesflow.core.fields import DATE_RANGE_MESSAGE, in_date_range
from salesflow.core.models import User

# A deal's status as a client filters on it: open, or how it was closed. A deal in a lost
# stage closed for a disqualifying reason is disqualified (the reason says it never fitted).
STATUSES = [
    ("open", "Open"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("disqualified", "Disqualified"),
]
_STATUS_FILTERS: dict[str, Q] = {
    "open": Q(closed_at__isnull=True),
    "won": Q(closed_at__isnull=False, stage__outcome=Stage.Outcome.WON),
    "lost": Q(closed_at__isnull=False, stage__outcome=Stage.Outcome.LOST)
    & ~Q(close_reason__kind=CloseReason.Kind.DISQUALIFIED),
    "disqualified": Q(closed_at__isnull=False, close_reason__kind=CloseReason.Kind.DISQUALIFIED),
}


def deal_status(deal: Opportunity) -> str:
    if deal.closed_at is None:
        return "open"
    if deal.close_reason is not None and deal.close_reason.kind == CloseReason.Kind.DISQUALIFIED:
        return "disqualified"
    return deal.stage.outcome


def _id(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


# --- What a client reads ----------------------------------------------------------------


class AccountRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class StageRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "outcome"]
        read_only_fields = fields


class CloseReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = CloseReason
        fields = ["id", "kind", "name"]
        read_only_fields = fields


class DealSerializer(serializers.ModelSerializer):
    account = AccountRefSerializer(read_only=True)
    owner = PersonSerializer(read_only=True)
    stage = StageRefSerializer(read_only=True)
    status = serializers.SerializerMethodField(
        help_text="open, or how the deal was closed: won, lost or disqualified."
    )
    close_reason = CloseReasonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "account",
            "owner",
            "pipeline",
            "stage",
            "status",
            "value",
            "currency",
            "expected_close_date",
            "lead_source",
            "next_step",
            "close_reason",
            "closed_at",
            "stuck_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=STATUSES))
    def get_status(self, deal: Opportunity) -> str:
        return deal_status(deal)


class StageChangeSerializer(serializers.ModelSerializer):
    from_stage = StageRefSerializer(read_only=True, allow_null=True)
    to_stage = StageRefSerializer(read_only=True)
    by = PersonSerializer(read_only=True)
    reason = CloseReasonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = StageChange
        fields = [
            "id",
            "from_stage",
            "to_stage",
            "at",
            "by",
            "note",
            "reason",
            "has_problem",
            "accepts_significance",
            "ready_to_act",
            "left_at",
        ]
        read_only_fields = fields


class MoveResultSerializer(serializers.Serializer):
    move = StageChangeSerializer(help_text="The move just recorded in the stage history.")
    deal = DealSerializer(help_text="The deal as it now stands.")


# --- What a client sends ----------------------------------------------------------------


class _DealFields(serializers.Serializer):
    """The deal form's fields; the service checks the rest (whom a deal may be given to)."""

    name = serializers.CharField(max_length=200)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="A user id."
    )
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))
    currency = serializers.ChoiceField(choices=Currency.choices)
    expected_close_date = serializers.DateField(allow_null=True)
    lead_source = serializers.PrimaryKeyRelatedField(
        queryset=LeadSource.objects.filter(active=True), allow_null=True
    )
    next_step = serializers.CharField(
        max_length=300,
        allow_blank=True,
        help_text="The next thing that will happen, as agreed with the prospect.",
    )

    def validate_expected_close_date(self, value: date | None) -> date | None:
        if value is not None and not in_date_range(value):
            raise serializers.ValidationError(DATE_RANGE_MESSAGE)
        return value


class DealCreateSerializer(_DealFields):
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The account.")
    pipeline = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.all(),
        required=False,
        help_text="Left out: the account's segment pipeline, or the default one.",
    )
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        help_text="An open stage of the pipeline; its first one when left out.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "owner", "value", "currency", "expected_close_date"):
            self.fields[name].required = False
        self.fields["lead_source"].required = False
        self.fields["next_step"].required = False
        self.fields["name"].help_text = "The account's name when left out."
        self.fields[
            "owner"
        ].help_text = (
            "A user id. Left out: the account's owner if you may give them deals, else you."
        )
        self.fields["lead_source"].help_text = "Left out: the account's lead source."


class DealChangeSerializer(_DealFields):
    """Send only what changes. The pipeline stays; the stage moves through /move/."""


class MoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(), help_text="The stage to move to (of the deal's pipeline)."
    )
    from_stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        help_text="The stage you saw the deal in: if it has moved since, the move is refused "
        "(409) rather than made on top of a change you did not see.",
    )
    reason = serializers.PrimaryKeyRelatedField(
        queryset=CloseReason.objects.all(),
        required=False,
        allow_null=True,
        help_text="Needed to close: a won reason for a won stage, a lost or disqualified one "
        "for a lost stage (GET /api/v1/close-reasons/). Refused for an open stage.",
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DealQuery(serializers.Serializer):
    """The deal list's filters: the board's (owner, team, segment, lead source), plus
    pipeline, stage, account, status and updated_since."""

    pipeline = _id("Only deals in this pipeline (a pipeline id).")
    stage = _id("Only deals in this stage (a stage id).")
    owner = _id("Only deals this person owns (a user id).")
    team = _id("Only deals owned by members of this team (a team id).")
    segment = _id("Only deals on accounts of this segment (a segment id).")
    lead_source = _id("Only deals from this lead source (a lead source id).")
    account = _id("Only this account's deals (an account id).")
    status = serializers.ChoiceField(
        choices=STATUSES, required=False, help_text="Only open deals, or those closed so."
    )
    updated_since = UpdatedSinceField(
        required=False,
        help_text="Only deals changed at or after this moment (ISO 8601 with offset). "
        "With the cursor, lets an integration read only what changed since its last sync.",
    )

    def board_filters(self) -> deal_selectors.BoardFilters:
        data = self.validated_data
        return deal_selectors.BoardFilters(
            **{name: data.get(name) for name in ("owner", "team", "segment", "lead_source")}
        )

    def apply(self, deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
        data = self.validated_data
        lookups = {"pipeline": "pipeline_id", "stage": "stage_id", "account": "account_id"}
        for name, lookup in lookups.items():
            if data.get(name):
                deals = deals.filter(**{lookup: data[name]})
        if data.get("status"):
            deals = deals.filter(_STATUS_FILTERS[data["status"]])
        if data.get("updated_since"):
            deals = deals.filter(updated_at__gte=data["updated_since"])
        return deals


class CloseReasonQuery(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=CloseReason.Kind.choices, required=False, help_text="Only reasons of this kind."
    )


# --- Examples ---------------------------------------------------------------------------

PERSON = {"id": 7, "username": "sam", "name": "Sam Reyes", "team": 2}
DEAL_EXAMPLE = OpenApiExample(
    "A deal",
    value={
        "id": 512,
        "name": "Patient flow",
        "account": {"id": 42, "name": "Northwind Clinics"},
        "owner": PERSON,
        "pipeline": 1,
        "stage": {"id": 3, "name": "Qualified", "outcome": "open"},
        "status": "open",
        "value": "48000.00",
        "currency": "EUR",
        "expected_close_date": "2027-03-31",
        "lead_source": 5,
        "next_step": "IT security review on 14 January",
        "close_reason": None,
        "closed_at": None,
        "stuck_since": None,
        "created_at": "2026-11-02T10:15:00Z",
        "updated_at": "2026-12-01T09:30:12.123456Z",
    },
    response_only=True,
)
MOVE_EXAMPLE = {
    "id": 2210,
    "from_stage": {"id": 3, "name": "Qualified", "outcome": "open"},
    "to_stage": {"id": 7, "name": "Lost", "outcome": "lost"},
    "at": "2026-12-02T16:04:51.402000Z",
    "by": PERSON,
    "note": "They chose to build it in-house.",
    "reason": {"id": 9, "kind": "lost", "name": "Chose to build in-house"},
    "has_problem": "yes",
    "accepts_significance": "yes",
    "ready_to_act": "no",
    "left_at": None,
}


class MoveRefusedProblem(exceptions.APIException):
    """A move the service refused (MoveRefused): the deal's state does not allow it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The deal was not moved."
    problem_slug = "move-refused"
    problem_title = "The deal was not moved."


# --- Views ------------------------------------------------------------------------------


@extend_schema_view(
    post=extend_schema(
        summary="Open a deal",
        description="On an account you may change (a teammate's is read-only for a rep: 403), "
        "in the account's pipeline unless you name one, in its first open stage unless you "
        "name one. Checked as the new-deal form checks it. Send an `Idempotency-Key` to retry "
        "safely.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=DealCreateSerializer,
        responses={
            201: DealSerializer,
            **problem_responses(400, 401, 403),
            **idempotency_responses(),
        },
        examples=[
            OpenApiExample(
                "A new deal",
                value={"account": 42, "name": "Patient flow", "value": "48000.00"},
                request_only=True,
            ),
            DEAL_EXAMPLE,
        ],
        tags=["deals"],
    )
)
@extend_schema(
    summary="List the deals you can see",
    description="The deals of the accounts you can see, open and closed, oldest change "
    "first, 50 a page (page_size up to 200). The board's filters apply; `status` picks open "
    "deals or those won, lost or disqualified. Pass `updated_since` (your last sync's time) "
    "to read only what changed.",
    parameters=[DealQuery],
    responses={200: DealSerializer(many=True), **problem_responses(400, 401)},
    examples=[DEAL_EXAMPLE],
    tags=["deals"],
)
class DealList(generics.ListAPIView):
    serializer_class = DealSerializer
    # (updated_at, id) is indexed (pipeline 0015): the keyset pages and syncs walk.
    pagination_ordering = ("updated_at", "id")

    def get_queryset(self) -> QuerySet[Opportunity]:
        query = DealQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        deals = deal_selectors.opportunity_list(
            user=self.request.user, filters=query.board_filters()
        )
        return query.apply(deals)

    @idempotent
    def post(self, request: Request) -> Response:
        data = DealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            account = prospect_access.get_account_for_user(
                request.user, fields.pop("account"), for_edit=True
            )
        except Http404:
            raise ValidationError({"account": "No such account."}) from None
        fields.setdefault("name", account.name)
        if "owner" not in fields:
            # As the form offers it: the account's owner runs its deals, if you may say so.
            mine = prospect_access.assignable_owners(request.user).filter(pk=account.owner_id)
            fields["owner"] = account.owner if mine.exists() else request.user
        deal = deal_services.opportunity_create(actor=request.user, account=account, **fields)
        deal = get_opportunity_for_user(request.user, deal.pk)
        return Response(DealSerializer(deal).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="One deal",
        responses={200: DealSerializer, **problem_responses(401, 404)},
        examples=[DEAL_EXAMPLE],
        tags=["deals"],
    ),
    patch=extend_schema(
        summary="Change a deal",
        description="Send only the fields to change. A teammate's deal is read-only for a rep "
        "(403), as on its page. The pipeline stays; the stage moves through "
        "`/api/v1/deals/{id}/move/`.",
        request=DealChangeSerializer,
        responses={200: DealSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "A later close",
                value={"expected_close_date": "2027-06-30", "next_step": "Board on 3 May"},
                request_only=True,
            ),
            DEAL_EXAMPLE,
        ],
        tags=["deals"],
    ),
)
class DealDetail(generics.RetrieveAPIView):
    serializer_class = DealSerializer
    queryset = Opportunity.objects.none()  # for the schema: the object comes from access

    def get_object(self) -> Opportunity:
        return get_opportunity_for_user(self.request.user, self.kwargs["pk"])

    def patch(self, request: Request, pk: int) -> Response:
        deal = get_opportunity_for_user(request.user, pk, for_edit=True)
        data = DealChangeSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        for name, why in (
            ("account", "A deal stays with its account."),
            ("pipeline", "A deal keeps its pipeline: its history points at its stages."),
            ("stage", "Move a deal with POST /api/v1/deals/{id}/move/."),
        ):
            if name in request.data:
                raise ValidationError({name: why})
        deal_services.opportunity_update(
            actor=request.user, opportunity=deal, **data.validated_data
        )
        deal = get_opportunity_for_user(request.user, pk)
        return Response(DealSerializer(deal).data)


@extend_schema(
    summary="Move a deal to another stage",
    description="Also closes it: to a won stage with a won reason, to a lost stage with a "
    "lost or disqualified reason (GET /api/v1/close-reasons/). A move the deal's state does "
    "not allow (a closed stage without a reason, a stage of another pipeline, the deal moved "
    "meanwhile by someone else) is refused with 409 and the reason; nothing changes. A "
    "teammate's deal is read-only for a rep (403).",
    request=MoveSerializer,
    responses={
        201: MoveResultSerializer,
        **problem_responses(400, 401, 403, 404, 409),
    },
    examples=[
        OpenApiExample(
            "Close as lost",
            value={"stage": 7, "from_stage": 3, "reason": 9, "note": MOVE_EXAMPLE["note"]},
            request_only=True,
        ),
        OpenApiExample(
            "The move and the deal",
            value={
                "move": MOVE_EXAMPLE,
                "deal": {
                    **DEAL_EXAMPLE.value,
                    "stage": MOVE_EXAMPLE["to_stage"],
                    "status": "lost",
                    "close_reason": MOVE_EXAMPLE["reason"],
                    "closed_at": MOVE_EXAMPLE["at"],
                },
            },
            response_only=True,
        ),
    ],
    tags=["deals"],
)
class DealMove(generics.GenericAPIView):
    serializer_class = MoveResultSerializer
    queryset = Opportunity.objects.none()

    def post(self, request: Request, pk: int) -> Response:
        deal = get_opportunity_for_user(request.user, pk, for_edit=True)
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        try:
            move = deal_services.opportunity_move_stage(
                actor=request.user,
                opportunity=deal,
                to_stage=fields["stage"],
                from_stage=fields.get("from_stage"),
                reason=fields.get("reason"),
                note=fields.get("note", ""),
            )
        except deal_services.MoveRefused as refused:
            raise MoveRefusedProblem(" ".join(refused.messages)) from None
        body = {"move": move, "deal": get_opportunity_for_user(request.user, pk)}
        return Response(MoveResultSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="A deal's stage history",
    description="Every move of the deal, newest first, 50 a page (page_size up to 200): "
    "from which stage to which, when, by whom, the close reason, and the prospect's "
    "readiness answers at that moment. `left_at` is when the deal moved on (null: still "
    "there).",
    responses={200: StageChangeSerializer(many=True), **problem_responses(400, 401, 404)},
    examples=[OpenApiExample("A move", value=MOVE_EXAMPLE, response_only=True)],
    tags=["deals"],
)
class DealStageHistory(generics.ListAPIView):
    serializer_class = StageChangeSerializer
    # (opportunity, at, id) is indexed newest first: the deal page's order.
    pagination_ordering = ("-at", "-id")

    def get_queryset(self) -> QuerySet[StageChange]:
        deal = get_opportunity_for_user(self.request.user, self.kwargs["pk"])
        return deal_selectors.stage_history(opportunity=deal)


@extend_schema(
    summary="List the close reasons",
    description="The reasons a deal may be closed for, as sales ops keeps them (active "
    "ones only). A won stage takes a `won` reason; a lost stage a `lost` or a "
    "`disqualified` one.",
    parameters=[CloseReasonQuery],
    responses={200: CloseReasonSerializer(many=True), **problem_responses(400, 401)},
    examples=[
        OpenApiExample(
            "A reason", value={"id": 9, "kind": "lost", "name": "No budget"}, response_only=True
        )
    ],
    tags=["deals"],
)
class CloseReasonList(generics.ListAPIView):
    serializer_class = CloseReasonSerializer
    pagination_ordering = ("id",)

    def get_queryset(self) -> QuerySet[CloseReason]:
        query = CloseReasonQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        reasons = deal_selectors.active_close_reasons()
        if query.validated_data.get("kind"):
            reasons = reasons.filter(kind=query.validated_data["kind"])
        return reasons


@history_schema("deal", tag="deals")
class DealHistory(ObjectHistoryView):
    def get_record(self, pk: int) -> Opportunity:
        return get_opportunity_for_user(self.request.user, pk)
