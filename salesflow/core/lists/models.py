"""What a person keeps of a list: their saved views and their choice of columns."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# A list's key ("deals", "contacts", "accounts"): the name a ListSpec registers under.
LIST_KEY_LENGTH = 40
# A view's address without its page: filters and sort. Longer than any form could make.
QUERY_LENGTH = 2000


class SavedView(models.Model):
    """A named set of filters, sort and columns for one list. Private to its owner, or
    shared with the team it names (the owner's team when it was shared); one per owner and
    list may be the owner's default, shown when they open the list bare."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    list_key = models.CharField(max_length=LIST_KEY_LENGTH)
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=QUERY_LENGTH, blank=True)
    # Column keys in the order shown; empty: the list's default columns.
    columns = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Shared with this team; empty: private.",
    )
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["owner", "list_key", "name"], name="saved_view_owner"),
            models.Index(
                fields=["team", "list_key"],
                condition=Q(team__isnull=False),
                name="saved_view_shared",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list_key", "name"],
                name="saved_view_name_unique",
                violation_error_message="You already have a view of that name.",
            ),
            models.UniqueConstraint(
                fields=["owner", "list_key"],
                condition=Q(is_default=True),
                name="saved_view_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.team_id is not None


class ListColumns(models.Model):
    """The columns one person chose for one list, in order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_columns"
    )
    list_key = models.CharField(max_length=LIST_KEY_LENGTH)
    columns = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key"], name="list_columns_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.list_key}"
