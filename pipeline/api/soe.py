"""/api/v1/ endpoints of a deal's Sequence of Events: the SOE with its steps and summary,
starting it (blank or from a template), adding, changing and reordering steps, their status
moves (done, skip, reopen), how the prospect received it, and its recent history.

Thin views over pipeline.soe: access through pipeline.soe.access and pipeline.deals.access
(404 outside the user's reach, 403 when the deal is read-only for them), reads through
pipeline.soe.selectors, every write through pipeline.soe.services — what the SOE page
refuses, the API refuses with the same words."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from pipeline.deals import access as deal_access
from pipeline.deals.models import Opportunity
from pipeline.soe import access as soe_access
from pipeline.soe import selectors as soe_selectors
from pipeline.soe import services as soe_services
from pipeline.soe.models import OwnerSide, SoeChange, SoeStep, SoeTemplateStep, StepKind
from pipeline.soe.models import Sequence as SoeSequence
from prospects import selectors as prospect_selectors
from prospects.api.serializers import PersonSerializer
from prospects.models import Contact, Conversation
from salesflow.core.api.errors import problem_responses
from salesflow.core.audit.api import ObjectHistoryView, history_schema
from salesflow.core.fields import EARLIEST_DATE
from salesflow.core.models import User

TAGS = ["sequence of events"]

# --- What the API shows -----------------------------------------------------------------


class DealRefSerializer(serializers.Serializer):
    """The deal an SOE belongs to, named."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class StepSerializer(serializers.ModelSerializer):
    """A step as the SOE page shows it."""

    deal = serializers.IntegerField(source="sequence.opportunity_id", read_only=True)
    position = serializers.SerializerMethodField(
        help_text="Its place in the SOE, 1 being the first."
    )
    kind = NamedSerializer(read_only=True, allow_null=True)
    proposed_by = NamedSerializer(read_only=True, allow_null=True)
    responsible_contact = NamedSerializer(
        read_only=True, allow_null=True, help_text="Their person responsible (a contact)."
    )
    responsible_user = PersonSerializer(
        read_only=True, allow_null=True, help_text="Our person responsible."
    )
    source_conversation = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The conversation the step came from (an id)."
    )
    slipped = serializers.SerializerMethodField(
        help_text="Open and past its target date, as the page flags it."
    )

    class Meta:
        model = SoeStep
        fields = [
            "id",
            "deal",
            "position",
            "text",
            "kind",
            "owner_side",
            "responsible_contact",
            "responsible_user",
            "target_date",
            "first_target_date",
            "slipped",
            "proposed_by",
            "proposed_on",
            "source_conversation",
            "notes",
            "status",
            "done_on",
            "skip_reason",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField)
    def get_position(self, step: SoeStep) -> int:
        return step.position + 1

    @extend_schema_field(serializers.BooleanField)
    def get_slipped(self, step: SoeStep) -> bool:
        return (
            step.status == SoeStep.Status.OPEN
            and step.target_date is not None
            and step.target_date < timezone.localdate()
        )


class ProposalSerializer(serializers.Serializer):
    """What marking the step done did to a follow-up the patience rules propose."""

    follow_up = serializers.IntegerField(source="follow_up.pk", help_text="The follow-up's id.")
    created = serializers.BooleanField(
        help_text="True for a new follow-up; false when the one already waiting was held longer."
    )
    message = serializers.CharField(help_text="What the page tells the rep.")


class StepDoneSerializer(StepSerializer):
    follow_up_proposal = ProposalSerializer(
        read_only=True,
        allow_null=True,
        help_text="Where a patience rule lets a done step marinate: the follow-up it holds.",
    )

    class Meta(StepSerializer.Meta):
        fields = [*StepSerializer.Meta.fields, "follow_up_proposal"]
        read_only_fields = fields


class SummarySerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="Steps done (skipped ones are not counted).")
    total = serializers.IntegerField(help_text="Steps not skipped.")
    next_step = serializers.IntegerField(
        source="next_step.pk", allow_null=True, help_text="The first open step's id."
    )
    slipped = serializers.SerializerMethodField(help_text="Open steps past their target date.")

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_slipped(self, summary: soe_selectors.SoeSummary) -> list[int]:
        return [step.pk for step in summary.slipped]


class StageSuggestionSerializer(serializers.Serializer):
    stage = NamedSerializer(help_text="The stage suggested.")
    completes = NamedSerializer(help_text="The deal's current stage, which the step completes.")
    because = serializers.IntegerField(source="because.pk", help_text="The done step's id.")


class SequenceSerializer(serializers.Serializer):
    """The deal's SOE as its page shows it: steps in order, progress, reception."""

    deal = DealRefSerializer(source="opportunity")
    template = NamedSerializer(allow_null=True, help_text="The template it was started from.")
    reception = serializers.ChoiceField(choices=SoeSequence.Reception.choices)
    reception_warning = serializers.BooleanField(
        source="is_warning", help_text="Lukewarm or declined: a warning sign."
    )
    reception_note = serializers.CharField()
    reception_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    can_edit = serializers.BooleanField(help_text="Whether you may change it.")
    summary = SummarySerializer()
    stage_suggestion = StageSuggestionSerializer(
        allow_null=True,
        help_text="A done step that usually completes the deal's stage suggests the next "
        "stage (to those who may move the deal); only ever a suggestion.",
    )
    steps = StepSerializer(many=True)


class ChangeSerializer(serializers.ModelSerializer):
    by = PersonSerializer(read_only=True)
    step = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = SoeChange
        fields = ["id", "action", "at", "by", "step", "summary", "old_target_date"]
        read_only_fields = fields


class TemplateStepSerializer(serializers.Serializer):
    text = serializers.CharField()
    kind = NamedSerializer(allow_null=True)
    owner_side = serializers.ChoiceField(choices=OwnerSide.choices)
    days_after_start = serializers.IntegerField(
        allow_null=True, help_text="Suggested target date, in days from the SOE's start."
    )


class TemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    segment = NamedSerializer(allow_null=True, help_text="Null: for any segment.")
    steps = TemplateStepSerializer(many=True)


def _sequence_data(user: User, sequence: SoeSequence) -> dict[str, Any]:
    """The SOE page's context, for SequenceSerializer."""
    opportunity = sequence.opportunity
    steps = soe_selectors.soe_steps(sequence=sequence)
    can_edit = deal_access.can_edit_opportunity(user, opportunity)
    return SequenceSerializer(
        {
            "opportunity": opportunity,
            "template": sequence.template,
            "reception": sequence.reception,
            "is_warning": sequence.is_warning,
            "reception_note": sequence.reception_note,
            "reception_at": sequence.reception_at,
            "created_at": sequence.created_at,
            "can_edit": can_edit,
            "summary": soe_selectors.soe_summary(steps=steps),
            "stage_suggestion": soe_selectors.stage_suggestion(opportunity=opportunity, steps=steps)
            if can_edit
            else None,
            "steps": steps,
        }
    ).data


def _soe_for(user: User, pk: object, *, for_edit: bool = False) -> SoeSequence:
    """The deal's SOE: 404 for a deal outside the user's reach ("No such deal.") or one
    without an SOE yet (said so, and how to start one); 403 when editing is refused."""
    opportunity = deal_access.get_opportunity_for_user(user, pk, for_edit=for_edit)
    sequence = soe_selectors.soe_of(opportunity=opportunity)
    if sequence is None:
        raise exceptions.NotFound(
            "This deal has no Sequence of Events yet: POST to this deal's soe/ address to "
            "start one (its soe/templates/ lists the templates offered)."
        )
    sequence.opportunity = opportunity
    return sequence


# --- What a client sends ------------------------------------------------------------------


class StartSerializer(serializers.Serializer):
    template = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="One of the templates offered for this deal (GET …/soe/templates/); "
        "leave it out for a blank SOE.",
    )


class StepWriteSerializer(serializers.Serializer):
    """A step's fields, as on the SOE page's form. The people and the conversation must be
    this account's (and our person one whose accounts you can see); the service checks the
    rest (dates a person could mean, a proposal not in the future)."""

    text = serializers.CharField(max_length=300, help_text="The step, in their words.")
    kind = serializers.PrimaryKeyRelatedField(
        queryset=StepKind.objects.all(), required=False, allow_null=True
    )
    owner_side = serializers.ChoiceField(choices=OwnerSide.choices, required=False)
    responsible_contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(),
        required=False,
        allow_null=True,
        help_text="Their person responsible: a contact of the deal's account.",
    )
    responsible_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        help_text="Our person responsible: a user id.",
    )
    target_date = serializers.DateField(required=False, allow_null=True)
    proposed_by = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(),
        required=False,
        allow_null=True,
        help_text="The contact who proposed it.",
    )
    proposed_on = serializers.DateField(required=False, allow_null=True)
    source_conversation = serializers.PrimaryKeyRelatedField(
        queryset=Conversation.objects.none(),
        required=False,
        allow_null=True,
        help_text="The conversation of this account it came from.",
    )
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def __init__(
        self,
        *args: Any,
        opportunity: Opportunity | None = None,
        user: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if opportunity is None or user is None:
            return  # the schema's instance: it reads the fields, never the data
        # Ids outside these read as "no such one": another account's contacts or
        # conversations, people the user cannot see, are not even confirmed to exist.
        contacts = Contact.objects.filter(account_id=opportunity.account_id)
        self.fields["responsible_contact"].queryset = contacts
        self.fields["proposed_by"].queryset = contacts
        self.fields["responsible_user"].queryset = prospect_selectors.visible_owners(user)
        self.fields["source_conversation"].queryset = Conversation.objects.filter(
            account_id=opportunity.account_id
        )


class StepAddSerializer(StepWriteSerializer):
    position = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=1000,
        help_text="Where it goes, 1 being first; at the end when left out.",
    )


class ReorderSerializer(serializers.Serializer):
    steps = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=1000,
        help_text="Every step id of this SOE, once each, in the new order.",
    )


class StepDoneBodySerializer(serializers.Serializer):
    done_on = serializers.DateField(
        required=False, help_text="The day it was done, up to today; today when left out."
    )

    def validate_done_on(self, value: Any) -> Any:
        if not EARLIEST_DATE <= value <= timezone.localdate():
            raise serializers.ValidationError("Pick a day between 2000 and today.")
        return value


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the step is skipped.")


class ReceptionSerializer(serializers.Serializer):
    reception = serializers.ChoiceField(choices=SoeSequence.Reception.choices)
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="What they said about it."
    )


# --- Examples -----------------------------------------------------------------------------

STEP_EXAMPLE_VALUE = {
    "id": 88,
    "deal": 17,
    "position": 2,
    "text": "IT security review",
    "kind": {"id": 3, "name": "Security review"},
    "owner_side": "prospect",
    "responsible_contact": {"id": 301, "name": "Dana Whitfield"},
    "responsible_user": {"id": 7, "username": "sam", "name": "Sam Reyes", "team": 2},
    "target_date": "2027-01-15",
    "first_target_date": "2027-01-08",
    "slipped": False,
    "proposed_by": {"id": 301, "name": "Dana Whitfield"},
    "proposed_on": "2026-12-02",
    "source_conversation": 912,
    "notes": "Their CISO wants the pen-test report first.",
    "status": "open",
    "done_on": None,
    "skip_reason": "",
    "updated_at": "2026-12-03T10:02:11.120000Z",
}
STEP_EXAMPLE = OpenApiExample("A step", value=STEP_EXAMPLE_VALUE, response_only=True)
SOE_EXAMPLE = OpenApiExample(
    "A Sequence of Events",
    value={
        "deal": {"id": 17, "name": "Patient flow"},
        "template": {"id": 2, "name": "Hospital purchase"},
        "reception": "keen",
        "reception_warning": False,
        "reception_note": "Dana will take it to the board.",
        "reception_at": "2026-12-02T15:40:00Z",
        "created_at": "2026-11-20T09:00:00Z",
        "can_edit": True,
        "summary": {"done": 1, "total": 3, "next_step": 88, "slipped": []},
        "stage_suggestion": None,
        "steps": [STEP_EXAMPLE_VALUE],
    },
    response_only=True,
)
STEP_WRITE_EXAMPLE = OpenApiExample(
    "A new step",
    value={
        "text": "Board meeting 12 March",
        "owner_side": "prospect",
        "responsible_contact": 301,
        "target_date": "2027-03-12",
        "position": 2,
    },
    request_only=True,
)

# --- Views --------------------------------------------------------------------------------


class SoeDetail(generics.GenericAPIView):
    queryset = Opportunity.objects.none()  # for the schema: {pk} is the deal's id
    serializer_class = SequenceSerializer

    @extend_schema(
        summary="A deal's Sequence of Events",
        description="Its steps in order (status, dates, whose step, kind), the progress the "
        "page shows and how the prospect received it. 404 when the deal is not one you may "
        "see, or has no SOE yet (the problem's detail says which).",
        responses={200: SequenceSerializer, **problem_responses(401, 404)},
        examples=[SOE_EXAMPLE],
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_sequence_data(request.user, _soe_for(request.user, pk)))

    @extend_schema(
        summary="Start a deal's Sequence of Events",
        description="Blank, or seeded from one of the templates offered for the deal (its "
        "steps are then yours to change). A deal has one SOE: a second start is refused.",
        request=StartSerializer,
        responses={201: SequenceSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample("From a template", value={"template": 2}, request_only=True),
            SOE_EXAMPLE,
        ],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        opportunity = deal_access.get_opportunity_for_user(request.user, pk, for_edit=True)
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = None
        if data.validated_data.get("template") is not None:
            offered = {t.pk: t for t in soe_selectors.soe_templates_for(opportunity=opportunity)}
            template = offered.get(data.validated_data["template"])
            if template is None:
                raise exceptions.ValidationError(
                    {"template": ["Pick one of the templates offered for this deal."]}
                )
        soe_services.soe_start(actor=request.user, opportunity=opportunity, template=template)
        sequence = _soe_for(request.user, pk)
        return Response(_sequence_data(request.user, sequence), status=status.HTTP_201_CREATED)


class SoeTemplates(generics.GenericAPIView):
    queryset = Opportunity.objects.none()
    serializer_class = TemplateSerializer
    pagination_class = None

    @extend_schema(
        summary="Templates offered for a deal's SOE",
        description="The templates of the account's segment first, then those for any "
        "segment, as the page offers them when the deal has no SOE yet.",
        responses={200: TemplateSerializer(many=True), **problem_responses(401, 404)},
        examples=[
            OpenApiExample(
                "Templates",
                value=[
                    {
                        "id": 2,
                        "name": "Hospital purchase",
                        "segment": {"id": 3, "name": "Hospitals"},
                        "steps": [
                            {
                                "text": "IT security review",
                                "kind": {"id": 3, "name": "Security review"},
                                "owner_side": "prospect",
                                "days_after_start": 14,
                            }
                        ],
                    }
                ],
                response_only=True,
            )
        ],
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        opportunity = deal_access.get_opportunity_for_user(request.user, pk)
        templates = soe_selectors.soe_templates_for(opportunity=opportunity)
        steps: dict[int, list[Any]] = {}
        seeds = (
            SoeTemplateStep.objects.filter(template__in=templates)
            .select_related("kind")
            .order_by("position", "pk")
        )
        for seed in seeds:
            steps.setdefault(seed.template_id, []).append(seed)
        segment = opportunity.account.segment
        rows = [
            {
                "id": t.pk,
                "name": t.name,
                "segment": segment if t.segment_id is not None else None,
                "steps": steps.get(t.pk, []),
            }
            for t in templates
        ]
        return Response(TemplateSerializer(rows, many=True).data)


class SoeStepAdd(generics.GenericAPIView):
    queryset = Opportunity.objects.none()
    serializer_class = StepSerializer

    @extend_schema(
        summary="Add a step to a deal's SOE",
        description="In the prospect's words; at `position` (1 = first; later steps move "
        "down) or at the end. Read-only for a rep on a teammate's deal (403).",
        request=StepAddSerializer,
        responses={201: StepSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[STEP_WRITE_EXAMPLE, STEP_EXAMPLE],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        sequence = _soe_for(request.user, pk, for_edit=True)
        data = StepAddSerializer(
            data=request.data, opportunity=sequence.opportunity, user=request.user
        )
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        position = fields.pop("position", None)
        step = soe_services.soe_step_add(
            actor=request.user,
            sequence=sequence,
            position=position - 1 if position else None,
            **fields,
        )
        return Response(
            StepSerializer(_step(request.user, step.pk)).data, status=status.HTTP_201_CREATED
        )


def _step(user: User, pk: int, *, for_edit: bool = False) -> SoeStep:
    step = soe_access.get_step_for_user(user, pk, for_edit=for_edit)
    return (
        SoeStep.objects.select_related(
            "sequence",
            "kind",
            "proposed_by",
            "responsible_contact",
            "responsible_user",
            "source_conversation",
        )
        .filter(pk=step.pk)
        .get()
    )


class SoeStepDetail(generics.GenericAPIView):
    queryset = SoeStep.objects.none()
    serializer_class = StepSerializer

    @extend_schema(
        summary="One SOE step",
        responses={200: StepSerializer, **problem_responses(401, 404)},
        examples=[STEP_EXAMPLE],
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(StepSerializer(_step(request.user, pk)).data)

    @extend_schema(
        summary="Change an SOE step",
        description="Send only the fields to change. A moved target date is kept in the "
        "SOE's history (the first date promised stays, to measure slip). The status moves "
        "through done/, skip/ and reopen/; the order through the SOE's reorder/.",
        request=StepWriteSerializer,
        responses={200: StepSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample("A new date", value={"target_date": "2027-01-22"}, request_only=True),
            STEP_EXAMPLE,
        ],
        tags=TAGS,
    )
    def patch(self, request: Request, pk: int) -> Response:
        step = soe_access.get_step_for_user(request.user, pk, for_edit=True)
        data = StepWriteSerializer(
            data=request.data,
            partial=True,
            opportunity=step.sequence.opportunity,
            user=request.user,
        )
        data.is_valid(raise_exception=True)
        soe_services.soe_step_update(actor=request.user, step=step, **data.validated_data)
        return Response(StepSerializer(_step(request.user, pk)).data)


class SoeStepDone(generics.GenericAPIView):
    queryset = SoeStep.objects.none()
    serializer_class = StepDoneSerializer

    @extend_schema(
        summary="Mark an SOE step done",
        description="In any order: prospects rarely follow their own list. Where a patience "
        "rule lets a done step marinate, a follow-up is proposed and held "
        "(`follow_up_proposal` says which, and until when). An already done step is refused "
        "(400, saying so); reopen it first.",
        request=StepDoneBodySerializer,
        responses={200: StepDoneSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample("Done yesterday", value={"done_on": "2026-12-06"}, request_only=True),
            OpenApiExample(
                "Done",
                value={
                    **STEP_EXAMPLE_VALUE,
                    "status": "done",
                    "done_on": "2026-12-06",
                    "follow_up_proposal": {
                        "follow_up": 512,
                        "created": True,
                        "message": "A follow-up is proposed, held until Thursday 09:00: let "
                        "a finished step marinate.",
                    },
                },
                response_only=True,
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        step = soe_access.get_step_for_user(request.user, pk, for_edit=True)
        data = StepDoneBodySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = soe_services.soe_step_done(actor=request.user, step=step, **data.validated_data)
        shown = _step(request.user, pk)
        shown.follow_up_proposal = done.follow_up_proposal
        return Response(StepDoneSerializer(shown).data)


class SoeStepSkip(generics.GenericAPIView):
    queryset = SoeStep.objects.none()
    serializer_class = StepSerializer

    @extend_schema(
        summary="Skip an SOE step",
        description="With the reason why (kept on the step and in the history). Only an "
        "open step is skipped; a done one is reopened first.",
        request=SkipSerializer,
        responses={200: StepSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample("Skip", value={"reason": "They dropped the pilot."}, request_only=True),
            STEP_EXAMPLE,
        ],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        step = soe_access.get_step_for_user(request.user, pk, for_edit=True)
        data = SkipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        soe_services.soe_step_skip(actor=request.user, step=step, **data.validated_data)
        return Response(StepSerializer(_step(request.user, pk)).data)


class SoeStepReopen(generics.GenericAPIView):
    queryset = SoeStep.objects.none()
    serializer_class = StepSerializer

    @extend_schema(
        summary="Reopen an SOE step",
        description="Open again, whether it was done or skipped. No body.",
        request=None,
        responses={200: StepSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[STEP_EXAMPLE],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        step = soe_access.get_step_for_user(request.user, pk, for_edit=True)
        soe_services.soe_step_reopen(actor=request.user, step=step)
        return Response(StepSerializer(_step(request.user, pk)).data)


class SoeReorder(generics.GenericAPIView):
    queryset = Opportunity.objects.none()
    serializer_class = SequenceSerializer

    @extend_schema(
        summary="Reorder a deal's SOE steps",
        description="Send every step id of the SOE once, in the new order. A list that "
        "leaves one out, names one twice or names another SOE's is refused (400): reload "
        "the SOE and try again.",
        request=ReorderSerializer,
        responses={200: SequenceSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample("New order", value={"steps": [90, 88, 89]}, request_only=True),
            SOE_EXAMPLE,
        ],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        sequence = _soe_for(request.user, pk, for_edit=True)
        data = ReorderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = data.validated_data["steps"]
        current = list(sequence.steps.values_list("pk", flat=True))
        if len(set(order)) != len(order) or set(order) != set(current):
            raise exceptions.ValidationError(
                {"steps": ["Name every step of this SOE once, in the new order."]}
            )
        soe_services.soe_reorder(actor=request.user, sequence=sequence, step_ids=order)
        return Response(_sequence_data(request.user, sequence))


class SoeReception(generics.GenericAPIView):
    queryset = Opportunity.objects.none()
    serializer_class = SequenceSerializer

    @extend_schema(
        summary="Record how the prospect received the SOE",
        description="Keen, lukewarm or declined (lukewarm and declined are warning signs), "
        "with what they said. Recorded again even when it reads the same: when they said "
        "so is news too.",
        request=ReceptionSerializer,
        responses={200: SequenceSerializer, **problem_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Lukewarm",
                value={"reception": "lukewarm", "note": "Wants to think about the pilot."},
                request_only=True,
            ),
            SOE_EXAMPLE,
        ],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        sequence = _soe_for(request.user, pk, for_edit=True)
        data = ReceptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        soe_services.soe_set_reception(actor=request.user, sequence=sequence, **data.validated_data)
        return Response(_sequence_data(request.user, _soe_for(request.user, pk)))


class SoeHistory(generics.GenericAPIView):
    queryset = Opportunity.objects.none()
    serializer_class = ChangeSerializer
    pagination_class = None

    @extend_schema(
        summary="A deal's SOE history",
        description="The latest 20 changes, newest first, as the SOE page lists them: who "
        "started it, added, edited, reordered, moved a date (with the old one), did, skipped "
        "or reopened a step, or recorded the reception.",
        responses={200: ChangeSerializer(many=True), **problem_responses(401, 404)},
        examples=[
            OpenApiExample(
                "History",
                value=[
                    {
                        "id": 1201,
                        "action": "date_moved",
                        "at": "2026-12-03T10:02:11Z",
                        "by": {"id": 7, "username": "sam", "name": "Sam Reyes", "team": 2},
                        "step": 88,
                        "summary": "IT security review: 2027-01-08 → 2027-01-15",
                        "old_target_date": "2027-01-08",
                    }
                ],
                response_only=True,
            )
        ],
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        sequence = _soe_for(request.user, pk)
        changes = soe_selectors.soe_history(sequence=sequence)
        return Response(ChangeSerializer(changes, many=True).data)


@history_schema("SOE step", tag=TAGS[0])
class SoeStepHistory(ObjectHistoryView):
    def get_record(self, pk: int) -> SoeStep:
        # Seeing the deal is enough to read its steps' history, as for the step itself.
        return soe_access.get_step_for_user(self.request.user, pk, for_edit=False)
