"""`GET /api/v1/<thing>/{id}/history/`: a record's audit history as JSON, the same lines as
its History tab. The apps mount one view per record (prospects: accounts and contacts;
pipeline: deals), each a subclass of ObjectHistoryView that finds the record through its own
access helper, so the endpoint answers 404 exactly where the record's page does."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db.models import Model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from salesflow.core.api.errors import problem_responses
from salesflow.core.audit.selectors import object_history
from salesflow.core.audit.views import history_cursor
from salesflow.core.fields import whole_number

PAGE_SIZE = 50
UNKNOWN_CURSOR = "This cursor is not one this list gave out; start again without it."
MAX_PAGE_SIZE = 200


class AuditHistoryQuery(serializers.Serializer):
    """The query parameters, checked: a bad one is a 400 problem naming it, never a 500."""

    cursor = serializers.CharField(
        required=False,
        max_length=40,
        help_text="Where the next page starts: take it from `next`, do not build it.",
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Changes per page, 1 to {MAX_PAGE_SIZE} ({PAGE_SIZE} if not given).",
    )

    def validate_cursor(self, value: str) -> str:
        # object_history's cursors are positive whole numbers; anything else did not come
        # from `next`, and reading it as "from the start" would hide the client's mistake.
        number = whole_number(value)
        if not number:
            raise serializers.ValidationError(UNKNOWN_CURSOR)
        return str(number)


class AuditFieldChangeSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The field's name in the API and the code.")
    label = serializers.CharField(help_text="The field's name as the pages show it.")
    old = serializers.CharField(help_text="The value before, as the pages show it (— none).")
    new = serializers.CharField(help_text="The value after, as the pages show it (— none).")


class AuditActorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class AuditChangeSerializer(serializers.Serializer):
    id = serializers.CharField(source="key", help_text="The change's own id.")
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    actor = AuditActorSerializer(
        allow_null=True, help_text="Who made the change; null for a job or the database."
    )
    actor_name = serializers.CharField(help_text="Who, as the pages name them.")
    door = serializers.CharField(
        help_text="Where it was made: page, api, admin, task, command, import or system."
    )
    door_detail = serializers.CharField(
        help_text="The page's address, the token's name, the job's or command's name, the "
        "import's number."
    )
    door_label = serializers.CharField(help_text="Where, as the pages say it.")
    fields = AuditFieldChangeSerializer(many=True)


class AuditHistoryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null.")
    results = AuditChangeSerializer(many=True)


HISTORY_EXAMPLE = OpenApiExample(
    "A page of changes",
    value={
        "next": "https://crm.example/api/v1/deals/12/history/?cursor=8812",
        "results": [
            {
                "id": "pipeline.opportunity:8840",
                "at": "2026-12-07T14:02:11.520114Z",
                "action": "changed",
                "actor": {"id": 7, "name": "Ana Ribeiro"},
                "actor_name": "Ana Ribeiro",
                "door": "page",
                "door_detail": "/deals/12/edit/",
                "door_label": "from the deal page",
                "fields": [{"name": "value", "label": "Value", "old": "16,000", "new": "17,500"}],
            }
        ],
    },
    response_only=True,
)


class ObjectHistoryView(generics.GenericAPIView):
    """A record's changes, newest first, `page_size` at a time; `next` has the cursor."""

    serializer_class = AuditHistoryPageSerializer
    pagination_class = None

    def get_record(self, pk: int) -> Model:
        raise NotImplementedError

    def get(self, request: Request, pk: int) -> Response:
        # The record first: an outsider gets 404 whatever the parameters say.
        record = self.get_record(pk)
        query = AuditHistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        size = query.validated_data.get("page_size") or PAGE_SIZE
        before = query.validated_data.get("cursor")
        if before is not None and history_cursor(record, before) is None:
            raise serializers.ValidationError({"cursor": [UNKNOWN_CURSOR]})
        changes, cursor = object_history(record, before=before, limit=size)
        return Response(
            AuditHistoryPageSerializer(
                {"next": self._next_url(request, cursor), "results": changes}
            ).data
        )

    def _next_url(self, request: Request, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = request.build_absolute_uri()
        return replace_query_param(remove_query_param(url, "cursor"), "cursor", cursor)


V = TypeVar("V", bound=type[ObjectHistoryView])


def history_schema(noun: str, *, tag: str) -> Callable[[V], V]:
    """The OpenAPI description of one record's history endpoint."""
    return extend_schema(
        summary=f"A {noun}'s history of changes",
        description=f"Every recorded change to the {noun}, newest first: who made it, the "
        "fields' values before and after (as the pages show them: names, not ids), when, and "
        "through which door. 50 a page (page_size up to 200); follow `next` for older ones. "
        f"Anyone who may see the {noun} may read its history; others get 404.",
        parameters=[
            AuditHistoryQuery,
            OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={200: AuditHistoryPageSerializer, **problem_responses(400, 401, 404)},
        examples=[HISTORY_EXAMPLE],
        tags=[tag],
    )
