"""Who runs a review, who sees one, and who may change an item, a vote or an action, as
pipeline.reviews.access answers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pipeline.reviews import access, services
from pipeline.reviews.models import Action, Review, Vote
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(sales_ops, rep):
    return services.review_create(actor=sales_ops, title="Q3 deltas", participants=[rep])


@pytest.mark.parametrize(
    ("role", "superuser", "active", "facilitates"),
    [
        ("rep", False, True, False),
        ("manager", False, True, False),
        ("sales_ops", False, True, True),
        ("admin", False, True, True),
        ("rep", True, True, True),  # a superuser made outside the roles
        ("sales_ops", False, False, False),  # nobody who has left
    ],
)
def test_sales_ops_and_admins_run_reviews(role, superuser, active, facilitates):
    user = UserFactory(role=role, is_superuser=superuser, is_active=active)
    assert access.can_facilitate(user) is facilitates
    if not facilitates:
        with pytest.raises(PermissionDenied, match="Only sales ops or an admin"):
            access.check_facilitator(user)


def test_a_review_is_seen_by_its_participants_and_whoever_runs_reviews(
    review, sales_ops, rep, teammate
):
    admin = UserFactory(role="admin")
    for user in (sales_ops, rep, admin):
        assert access.get_review_for_user(user, review.pk) == review
    assert list(access.reviews_visible_to(teammate)) == []
    with pytest.raises(Http404, match="No such review"):
        access.get_review_for_user(teammate, review.pk)
    assert access.takes_part(rep, review)
    assert access.takes_part(sales_ops, review)
    assert not access.takes_part(admin, review)  # looks in, does not take part
    with pytest.raises(PermissionDenied, match="not taking part"):
        access.check_participant(admin, review)


def test_an_item_is_its_authors_a_vote_its_voters_an_action_its_owners(
    review, sales_ops, rep, teammate
):
    review.phase = Review.Phase.WRITING
    review.save(update_fields=["phase"])
    item = services.item_write(actor=rep, review=review, kind="delta", text="Late quotes")
    assert access.can_edit_item(rep, item)
    assert not access.can_edit_item(sales_ops, item)  # the facilitator included
    assert list(access.items_editable_by(rep, review)) == [item]
    assert list(access.items_editable_by(sales_ops, review)) == []
    vote = Vote(review=review, voter=rep, item=item)
    assert access.can_withdraw_vote(rep, vote)
    assert not access.can_withdraw_vote(sales_ops, vote)
    action = Action(review=review, owner=rep, text="Quote within a day")
    assert access.can_mark_done(rep, action)
    assert access.can_mark_done(sales_ops, action)
    assert not access.can_mark_done(teammate, action)
