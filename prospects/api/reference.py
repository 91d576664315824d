"""/api/v1/segments/ and /api/v1/lead-sources/: the reference lists sales ops keeps, read-only
for everyone signed in, as the pages' pickers offer them."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers

from prospects.models import LeadSource, Segment
from salesflow.core.api.errors import problem_responses


class SegmentDetailSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "description"]
        read_only_fields = fields


class LeadSourceDetailSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadSource
        fields = ["id", "name", "active"]
        read_only_fields = fields
        extra_kwargs = {"active": {"help_text": "False once sales ops retired the source."}}


class LeadSourceQuery(serializers.Serializer):
    active = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        help_text="true: only the sources in use; false: only the retired ones.",
    )


SEGMENT_EXAMPLE = OpenApiExample(
    "A segment",
    value={"id": 3, "name": "Hospitals", "description": "Acute and community hospitals."},
    response_only=True,
)
LEAD_SOURCE_EXAMPLE = OpenApiExample(
    "A lead source", value={"id": 5, "name": "Referral", "active": True}, response_only=True
)


@extend_schema(
    summary="List the segments",
    description="The kinds of buyer an account can belong to, in the order they were added, "
    "50 a page (page_size up to 200).",
    responses={200: SegmentDetailSerializer(many=True), **problem_responses(400, 401)},
    examples=[SEGMENT_EXAMPLE],
    tags=["reference"],
)
class SegmentList(generics.ListAPIView):
    serializer_class = SegmentDetailSerializer
    queryset = Segment.objects.all()
    pagination_ordering = ("id",)


@extend_schema(
    summary="One segment",
    responses={200: SegmentDetailSerializer, **problem_responses(401, 404)},
    examples=[SEGMENT_EXAMPLE],
    tags=["reference"],
)
class SegmentDetail(generics.RetrieveAPIView):
    serializer_class = SegmentDetailSerializer
    queryset = Segment.objects.all()


@extend_schema(
    summary="List the lead sources",
    description="Where accounts come from, in the order they were added, 50 a page "
    "(page_size up to 200). Retired sources stay listed with `active: false`, since older "
    "accounts still name them.",
    parameters=[LeadSourceQuery],
    responses={200: LeadSourceDetailSerializer(many=True), **problem_responses(400, 401)},
    examples=[LEAD_SOURCE_EXAMPLE],
    tags=["reference"],
)
class LeadSourceList(generics.ListAPIView):
    serializer_class = LeadSourceDetailSerializer
    pagination_ordering = ("id",)

    def get_queryset(self) -> QuerySet[LeadSource]:
        query = LeadSourceQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        sources = LeadSource.objects.all()
        if query.validated_data.get("active") is not None:
            sources = sources.filter(active=query.validated_data["active"])
        return sources


@extend_schema(
    summary="One lead source",
    responses={200: LeadSourceDetailSerializer, **problem_responses(401, 404)},
    examples=[LEAD_SOURCE_EXAMPLE],
    tags=["reference"],
)
class LeadSourceDetail(generics.RetrieveAPIView):
    serializer_class = LeadSourceDetailSerializer
    queryset = LeadSource.objects.all()
