"""/api/v1/notifications/: what salesflow told the signed-in user, and marking it read. Only
ever the user's own (someone else's answers 404, as if it did not exist); reads go through
salesflow.core.selectors, marking read through salesflow.core.services, as on the
notifications page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from salesflow.core import selectors, services
from salesflow.core.api.errors import problem_responses
from salesflow.core.models import Notification, User

# Large enough for any id, small enough for PostgreSQL's bigint.
MAX_ID = 2**63 - 1


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField(help_text="True once the user has read it.")
    email_failed = serializers.BooleanField(
        read_only=True,
        help_text="True when the email repeating this notification could not be delivered.",
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "read"]
        fields += ["email_failed"]
        read_only_fields = fields
        extra_kwargs = {
            "url": {"help_text": "Where the notification leads on the site (a path)."},
            "read_at": {"help_text": "When it was first read; null while unread."},
        }

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationQuery(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        help_text="true: only the unread ones; false: only those already read.",
    )


NOTIFICATION_EXAMPLE = OpenApiExample(
    "A notification",
    value={
        "id": 812,
        "kind": "follow_up",
        "title": "Follow-up due: Northwind Clinics",
        "body": "Agree the pilot wards with Dana.",
        "url": "/followups/",
        "created_at": "2026-12-01T08:00:03.120000Z",
        "read_at": None,
        "read": False,
        "email_failed": False,
    },
    response_only=True,
)


def _own_notification(user: User, pk: int) -> Notification:
    """One of the user's notifications; anyone else's, or none, is a 404."""
    if not 1 <= pk <= MAX_ID:
        raise Http404("No such notification.")
    found = selectors.notifications_for(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such notification.")
    return found


@extend_schema(
    summary="List your notifications",
    description="What salesflow told you (stuck deals, follow-ups that surfaced), newest "
    "first, 50 a page (page_size up to 200): the order of the notifications page, and the "
    "one a client polling for news wants, since new ones arrive at the front and the cursor "
    "never shows one twice. `unread=true` gives only the unread ones. Reading this list "
    "marks nothing read.",
    parameters=[NotificationQuery],
    responses={200: NotificationSerializer(many=True), **problem_responses(400, 401)},
    examples=[NOTIFICATION_EXAMPLE],
    tags=["notifications"],
)
class NotificationList(generics.ListAPIView):
    serializer_class = NotificationSerializer
    # Indexed as (user, -created_at, -id) (core 0007): the notifications page's order.
    pagination_ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Notification]:
        query = NotificationQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        notifications = selectors.notifications_for(user=self.request.user)
        unread = query.validated_data.get("unread")
        if unread is not None:
            notifications = notifications.filter(read_at__isnull=unread)
        return notifications


@extend_schema(
    summary="One notification",
    description="One of your notifications; anyone else's answers 404.",
    responses={200: NotificationSerializer, **problem_responses(401, 404)},
    examples=[NOTIFICATION_EXAMPLE],
    tags=["notifications"],
)
class NotificationDetail(generics.RetrieveAPIView):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema: the object is the user's own

    def get_object(self) -> Notification:
        return _own_notification(self.request.user, self.kwargs["pk"])


class NotificationRead(APIView):
    @extend_schema(
        summary="Mark a notification read",
        description="Marks one of your notifications read and answers it. Marking one read "
        "again changes nothing (its first read time stays).",
        request=None,
        responses={200: NotificationSerializer, **problem_responses(401, 404)},
        examples=[
            OpenApiExample(
                "Read",
                value={**NOTIFICATION_EXAMPLE.value, "read_at": "2026-12-01T09:12:00Z"}
                | {"read": True},
                response_only=True,
                status_codes=["200"],
            )
        ],
        tags=["notifications"],
    )
    def post(self, request: Request, pk: int) -> Response:
        notification = _own_notification(request.user, pk)
        services.notification_mark_read(user=request.user, pk=notification.pk)
        return Response(NotificationSerializer(_own_notification(request.user, pk)).data)


class NotificationReadAll(APIView):
    @extend_schema(
        summary="Mark all your notifications read",
        description="What the notifications page's “Mark all read” does; answers how many "
        "were unread.",
        request=None,
        responses={
            200: inline_serializer(
                "NotificationsMarkedRead",
                {"marked": serializers.IntegerField(help_text="How many were unread.")},
            ),
            **problem_responses(400, 401),
        },
        examples=[
            OpenApiExample("Marked", value={"marked": 3}, response_only=True, status_codes=["200"])
        ],
        tags=["notifications"],
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_read(user=request.user)})


app_name = "notifications_api"

# login_not_required: the API answers 401 problem details itself (see prospects.api.urls).
urlpatterns = [
    path(
        "notifications/",
        login_not_required(NotificationList.as_view()),
        name="notifications",
    ),
    path(
        "notifications/read-all/",
        login_not_required(NotificationReadAll.as_view()),
        name="read_all",
    ),
    path(
        "notifications/<int:pk>/",
        login_not_required(NotificationDetail.as_view()),
        name="notification",
    ),
    path(
        "notifications/<int:pk>/read/",
        login_not_required(NotificationRead.as_view()),
        name="read",
    ),
]
