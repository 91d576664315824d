"""/api/v1/reviews/: the plusses/deltas reviews a user may see (pipeline.reviews.access), each
as its summary page shows it (pipeline.reviews.selectors.summary): what is on the board, the
votes, the groups and the actions with their owners and due dates.

Who wrote an item is never part of any answer, whether or not the review is anonymous: every
serializer here names its fields, and none reads an item's author. What the board holds back
(an item not yet revealed round the room) is held back here too, since the summary only
reads revealed items.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db.models import Count, QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pipeline.reviews import access, selectors
from pipeline.reviews.models import Action, Group, Item, Review
from salesflow.core.api.errors import problem_responses
from salesflow.core.models import User


class NamedPersonSerializer(serializers.Serializer):
    """A facilitator or an action's owner: the people the pages name."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class ReviewListSerializer(serializers.ModelSerializer):
    looks_at = serializers.SerializerMethodField(help_text="What the review looks at, in words.")
    facilitator = NamedPersonSerializer(read_only=True)
    people = serializers.IntegerField(read_only=True, help_text="How many take part.")

    class Meta:
        model = Review
        fields = ["id", "title", "scope", "looks_at", "phase", "anonymous", "facilitator"]
        fields += ["people", "created_at", "updated_at"]
        read_only_fields = fields

    def get_looks_at(self, review: Review) -> str:
        return selectors.scope_label(review)


class ItemSerializer(serializers.ModelSerializer):
    """An item on the board: its words and votes, never who wrote it."""

    votes = serializers.IntegerField(read_only=True, help_text="Votes cast on the item.")

    class Meta:
        model = Item
        fields = ["id", "kind", "text", "votes", "group"]
        read_only_fields = fields
        extra_kwargs = {"group": {"help_text": "The group it was put in; null: none."}}


class GroupSerializer(serializers.ModelSerializer):
    votes = serializers.IntegerField(read_only=True, help_text="Votes cast on the group.")
    items = serializers.SerializerMethodField(help_text="Its items' ids.")
    recurs_in = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Earlier reviews of the same scope, newest first, with a delta group of "
        "the same title: a theme that keeps coming back.",
    )

    class Meta:
        model = Group
        fields = ["id", "title", "votes", "items", "recurs_in"]
        read_only_fields = fields

    def get_items(self, group: Group) -> list[int]:
        return [item.pk for item in group.members]


class ActionSerializer(serializers.ModelSerializer):
    owner = NamedPersonSerializer(read_only=True)
    done = serializers.SerializerMethodField()
    part = serializers.CharField(
        read_only=True, help_text="The part of the process it changes, in words ('' if none)."
    )
    source = serializers.CharField(
        read_only=True, help_text="The group or delta it was made from ('' if none)."
    )

    class Meta:
        model = Action
        fields = ["id", "text", "owner", "due_on", "done", "done_at", "part", "source"]
        read_only_fields = fields

    def get_done(self, action: Action) -> bool:
        return action.done_at is not None


class PreviousReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    actions = ActionSerializer(many=True, help_text="Its actions, done or not.")


class ReviewSummarySerializer(ReviewListSerializer):
    facts = ItemSerializer(many=True, read_only=True, help_text="Cards from the data.")
    plusses = ItemSerializer(many=True, read_only=True, help_text="What works, as revealed.")
    deltas = ItemSerializer(many=True, read_only=True, help_text="What to change, as revealed.")
    # The summary's lists, set on the review by _summary (its own `groups` and `actions` are
    # the related managers).
    groups = GroupSerializer(
        source="groups_shown", many=True, read_only=True, help_text="Most votes first."
    )
    actions = ActionSerializer(
        source="actions_shown", many=True, read_only=True, help_text="Soonest due first."
    )
    previous = PreviousReviewSerializer(
        read_only=True,
        allow_null=True,
        help_text="The last review of the same scope you may see, and how its actions stand.",
    )

    class Meta(ReviewListSerializer.Meta):
        fields = [*ReviewListSerializer.Meta.fields, "votes_each"]
        fields += ["facts", "plusses", "deltas", "groups", "actions", "previous"]
        read_only_fields = fields


def _summary(review: Review, user: User) -> dict[str, object]:
    """The summary page's data through ReviewSummarySerializer: the schema's fields are
    exactly the answer's, so nothing unlisted (an author) can slip in."""
    data = selectors.summary(review=review, user=user)
    review.people = review.participants.count()
    review.facts, review.plusses, review.deltas = data.facts, data.plusses, data.deltas
    review.groups_shown, review.actions_shown = data.groups, data.actions
    review.previous = (
        None
        if data.previous is None
        else {
            "id": data.previous.pk,
            "title": data.previous.title,
            "actions": data.previous_actions,
        }
    )
    return ReviewSummarySerializer(review).data


FACILITATOR = {"id": 4, "username": "sam", "name": "Sam Ops"}
ACTION_EXAMPLE = {
    "id": 31,
    "text": "Send the SOE within a day of the solution call",
    "owner": {"id": 7, "username": "rita", "name": "Rita Reyes"},
    "due_on": "2026-12-15",
    "done": False,
    "done_at": None,
    "part": "stage Solution development (New business)",
    "source": "SOE late",
}
REVIEW_LIST_EXAMPLE = OpenApiExample(
    "A review",
    value={
        "id": 9,
        "title": "Q4 look back",
        "scope": "quarter",
        "looks_at": "A quarter: the quarter from 1 Oct 2026",
        "phase": "summary",
        "anonymous": True,
        "facilitator": FACILITATOR,
        "people": 6,
        "created_at": "2026-12-01T14:00:00Z",
        "updated_at": "2026-12-01T15:10:00Z",
    },
    response_only=True,
)
REVIEW_SUMMARY_EXAMPLE = OpenApiExample(
    "A review's summary",
    value={
        **REVIEW_LIST_EXAMPLE.value,
        "votes_each": 3,
        "facts": [],
        "plusses": [
            {"id": 101, "kind": "plus", "text": "Patience paid off", "votes": 0, "group": None}
        ],
        "deltas": [
            {"id": 102, "kind": "delta", "text": "SOE late again", "votes": 2, "group": 12},
            {"id": 103, "kind": "delta", "text": "SOE sent after a week", "votes": 1, "group": 12},
        ],
        "groups": [
            {"id": 12, "title": "SOE late", "votes": 3, "items": [102, 103], "recurs_in": []}
        ],
        "actions": [ACTION_EXAMPLE],
        "previous": None,
    },
    response_only=True,
)


@extend_schema(
    summary="List the reviews you can see",
    description="Sales ops and admins see every review; anyone else the ones they take part "
    "in. Newest first, 50 a page (page_size up to 200), as on the reviews page.",
    responses={200: ReviewListSerializer(many=True), **problem_responses(400, 401)},
    examples=[REVIEW_LIST_EXAMPLE],
    tags=["reviews"],
)
class ReviewList(generics.ListAPIView):
    serializer_class = ReviewListSerializer
    # The primary key: creation order, newest first, without a sort on an unindexed column.
    pagination_ordering = ("-id",)

    def get_queryset(self) -> QuerySet[Review]:
        return (
            access.reviews_visible_to(self.request.user)
            .select_related("facilitator", "pipeline", "opportunity")
            .annotate(people=Count("participants", distinct=True))
        )


@extend_schema(
    summary="One review's summary",
    description="What the review's summary page shows: the items revealed round the room "
    "with their votes (never who wrote them, even in a review that is not anonymous), the "
    "groups, the actions with their owners and due dates, and how the last review's actions "
    "stand. Items not yet revealed are not shown. A review you do not take part in is a 404.",
    responses={200: ReviewSummarySerializer, **problem_responses(401, 404)},
    examples=[REVIEW_SUMMARY_EXAMPLE],
    tags=["reviews"],
)
class ReviewDetail(APIView):
    def get(self, request: Request, pk: int) -> Response:
        review = access.get_review_for_user(request.user, pk)
        return Response(_summary(review, request.user))


@extend_schema(
    summary="One review's actions",
    description="The review's actions, soonest due first, with their owners, due dates and "
    "whether they are done; all of them at once (a review has a handful).",
    responses={200: ActionSerializer(many=True), **problem_responses(401, 404)},
    examples=[OpenApiExample("Actions", value=[ACTION_EXAMPLE], response_only=True)],
    tags=["reviews"],
)
class ReviewActions(APIView):
    def get(self, request: Request, pk: int) -> Response:
        review = access.get_review_for_user(request.user, pk)
        actions = review.actions.select_related(*selectors.ACTION_PARTS).order_by("due_on", "pk")
        found = selectors.with_parts(list(actions), request.user)
        return Response(ActionSerializer(found, many=True).data)


app_name = "reviews_api"

# login_not_required: the API answers 401 problem details itself (see prospects.api.urls).
urlpatterns = [
    path("reviews/", login_not_required(ReviewList.as_view()), name="reviews"),
    path("reviews/<int:pk>/", login_not_required(ReviewDetail.as_view()), name="review"),
    path(
        "reviews/<int:pk>/actions/",
        login_not_required(ReviewActions.as_view()),
        name="actions",
    ),
]
