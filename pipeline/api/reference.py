"""/api/v1/pipelines/: the pipelines with their stages in board order, read-only for everyone
signed in, as the board shows them. Reads through pipeline.deals.selectors."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers

from pipeline.deals import selectors
from pipeline.deals.models import Pipeline, Stage
from prospects.api.serializers import SegmentSerializer
from salesflow.core.api.errors import problem_responses


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "position", "outcome", "probability", "stuck_after_days"]
        read_only_fields = fields
        extra_kwargs = {
            "position": {"help_text": "Order on the board: lower comes first."},
            "outcome": {
                "help_text": "open: a deal is still being worked; won or lost: closing it."
            },
            "probability": {"help_text": "Win probability in %, for the weighted forecast."},
            "stuck_after_days": {
                "help_text": "A deal with no activity for this many days is stuck; null: never."
            },
        }


class PipelineSerializer(serializers.ModelSerializer):
    segment = SegmentSerializer(
        read_only=True,
        allow_null=True,
        help_text="The segment whose new deals start here; null: any segment may use it.",
    )
    stages = StageSerializer(many=True, read_only=True, help_text="In board order.")

    class Meta:
        model = Pipeline
        fields = ["id", "name", "segment", "is_default", "stages"]
        read_only_fields = fields
        extra_kwargs = {
            "is_default": {"help_text": "New deals start here unless their segment has one."}
        }


def _with_stages(pipelines: QuerySet[Pipeline]) -> QuerySet[Pipeline]:
    stages = Stage.objects.order_by("position", "pk")
    return pipelines.select_related("segment").prefetch_related(Prefetch("stages", stages))


PIPELINE_EXAMPLE = OpenApiExample(
    "A pipeline",
    value={
        "id": 1,
        "name": "New business",
        "segment": None,
        "is_default": True,
        "stages": [
            {
                "id": 11,
                "name": "Qualified",
                "position": 1,
                "outcome": "open",
                "probability": 10,
                "stuck_after_days": 21,
            },
            {
                "id": 15,
                "name": "Won",
                "position": 5,
                "outcome": "won",
                "probability": 100,
                "stuck_after_days": None,
            },
        ],
    },
    response_only=True,
)


@extend_schema(
    summary="List the pipelines and their stages",
    description="Every pipeline with its stages in board order (open stages, then won and "
    "lost), in the order the pipelines were made, 50 a page (page_size up to 200).",
    responses={200: PipelineSerializer(many=True), **problem_responses(400, 401)},
    examples=[PIPELINE_EXAMPLE],
    tags=["reference"],
)
class PipelineList(generics.ListAPIView):
    serializer_class = PipelineSerializer
    pagination_ordering = ("id",)

    def get_queryset(self) -> QuerySet[Pipeline]:
        return _with_stages(selectors.pipelines())


@extend_schema(
    summary="One pipeline and its stages",
    responses={200: PipelineSerializer, **problem_responses(401, 404)},
    examples=[PIPELINE_EXAMPLE],
    tags=["reference"],
)
class PipelineDetail(generics.RetrieveAPIView):
    serializer_class = PipelineSerializer

    def get_queryset(self) -> QuerySet[Pipeline]:
        return _with_stages(selectors.pipelines())
