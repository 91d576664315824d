"""Who may see and do what in a review, in one place: every view, service and selector of
reviews asks here.

Sales ops and admins run reviews (they facilitate) and may look in on any; anyone else sees
only the reviews they take part in, and anything else answers 404. Participants write
items and vote; an item is its author's to change, a vote its voter's to take back, and an
action is marked done by its owner or a facilitator. A refusal answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from pipeline.reviews.models import Action, Item, Participant, Review, Vote
from salesflow.core.models import User


def can_facilitate(user: User) -> bool:
    """Sales ops and admins run reviews."""
    return user.is_active and user.sees_everything


def check_facilitator(user: User) -> None:
    if not can_facilitate(user):
        raise PermissionDenied("Only sales ops or an admin runs a review.")


def takes_part(user: User, review: Review) -> bool:
    return Participant.objects.filter(review=review, user=user).exists()


def check_participant(user: User, review: Review) -> None:
    if not takes_part(user, review):
        raise PermissionDenied("You are not taking part in this review.")


def reviews_visible_to(user: User) -> QuerySet[Review]:
    """Sales ops and admins see every review; anyone else the ones they are invited to."""
    if can_facilitate(user):
        return Review.objects.all()
    # A subquery, not a join: counting a review's participants must count all of them.
    return Review.objects.filter(pk__in=Participant.objects.filter(user=user).values("review"))


def get_review_for_user(user: User, pk: object) -> Review:
    try:
        return (
            reviews_visible_to(user)
            .select_related("facilitator", "pipeline", "opportunity")
            .get(pk=pk)
        )
    except (Review.DoesNotExist, ValueError, TypeError):
        raise Http404("No such review.") from None


def can_edit_item(user: User, item: Item) -> bool:
    """Only its author edits or removes an item (the facilitator included)."""
    return item.author_id == user.pk


def items_editable_by(user: User, review: Review) -> QuerySet[Item]:
    """The review's items the user may edit or remove: can_edit_item, as a queryset."""
    return review.items.filter(author=user)


def can_withdraw_vote(user: User, vote: Vote) -> bool:
    return vote.voter_id == user.pk


def can_mark_done(user: User, action: Action) -> bool:
    """An action is marked done by its owner, or by whoever runs reviews."""
    return action.owner_id == user.pk or can_facilitate(user)
