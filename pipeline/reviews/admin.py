"""Reviews in the admin, read-only: they are written through the review pages. No list,
form, search or filter here or in any other admin shows or looks up who wrote an item,
anonymous review or not, nor who cast a vote: the author is kept only so people can change
their own items while writing, the voter so nobody spends more votes than they have."""

from django.contrib import admin

from pipeline.admin import ReadOnlyAdmin
from pipeline.reviews.models import Action, Item, Participant, PhaseChange, Review, Vote
from salesflow.core.admin_site import private_column

private_column(Item, "author")
private_column(Vote, "voter")

ITEM_FIELDS = ["kind", "text", "revealed_at", "reveal_order", "group"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # noqa: ANN001, ANN201 - Django's
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False


class ParticipantInline(ReadOnlyInline):
    model = Participant
    fields = ["position", "user"]


class ItemInline(ReadOnlyInline):
    model = Item
    fields = ITEM_FIELDS  # never the author


class ActionInline(ReadOnlyInline):
    model = Action
    fields = ["text", "owner", "due_on", "done_at"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["title", "scope", "phase", "facilitator", "anonymous", "created_at"]
    list_filter = ["phase", "scope", "anonymous"]
    list_select_related = ["facilitator"]
    search_fields = ["title"]
    inlines = [ParticipantInline, ItemInline, ActionInline]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["text", "kind", "review", "revealed_at"]
    list_filter = ["kind"]
    list_select_related = ["review"]
    search_fields = ["text"]  # by words only: never by who wrote them
    fields = ["review", *ITEM_FIELDS]


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin):
    list_display = ["text", "owner", "due_on", "done_at", "review"]
    list_filter = ["done_at"]
    list_select_related = ["owner", "review"]
    search_fields = ["text"]


@admin.register(PhaseChange)
class PhaseChangeAdmin(ReadOnlyAdmin):
    list_display = ["review", "from_phase", "to_phase", "at", "by"]
    list_select_related = ["review", "by"]
