"""What each person may see of a review."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from pipeline.reviews.models import Item, Review
from pipeline.reviews.services import can_facilitate
from salesflow.core.models import User


def reviews_for(user: User) -> QuerySet[Review]:
    """Sales ops and admins see every review; anyone else the ones they are invited to."""
    if can_facilitate(user):
        return Review.objects.all()
    return Review.objects.filter(participants__user=user)


def get_review_for_user(user: User, pk: object) -> Review:
    try:
        return reviews_for(user).select_related("facilitator").get(pk=pk)
    except (Review.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such review.") from None


def board_items(*, review: Review, user: User) -> QuerySet[Item]:
    """Context cards from the data, what is on the shared board, and the user's own items.
    While people write, nobody — the facilitator included — sees anyone else's."""
    visible = Q(kind=Item.Kind.FACT) | Q(author=user)
    if review.phase not in {Review.Phase.SETUP, Review.Phase.WRITING}:
        visible |= Q(revealed_at__isnull=False)
    return review.items.filter(visible).select_related("group").order_by("reveal_order", "pk")


def item_author(*, review: Review, item: Item) -> User | None:
    """Who wrote an item, for display: nobody, when the review is anonymous."""
    return None if review.anonymous else item.author


def items_written(*, review: Review) -> list[tuple[User, int]]:
    """How many items each participant has written: all the facilitator sees while people
    write."""
    counts = dict(
        review.items.exclude(kind=Item.Kind.FACT)
        .order_by()
        .values_list("author")
        .annotate(Count("pk"))
    )
    return [
        (participant.user, counts.get(participant.user_id, 0))
        for participant in review.participants.select_related("user")
    ]
