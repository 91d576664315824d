"""Round the room: everyone's first item, then everyone's second; in an anonymous review the
order within a round says nothing about who sits where."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.reviews.demo import run_review
from pipeline.reviews.models import Item, Review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def third(team):
    return UserFactory(role="rep", team=team, first_name="Tara", last_name="Third")


def revealed_by_round(review: Review) -> list[list[int]]:
    items = list(Item.objects.filter(review=review, kind="plus").order_by("reveal_order"))
    return [[item.author_id for item in items[start : start + 3]] for start in (0, 3)]


@pytest.mark.parametrize("anonymous", [True, False])
def test_round_the_room_is_everyones_first_then_everyones_second(
    ops, rep, teammate, third, anonymous
):
    written = [
        (user, "plus", f"{user.first_name} {n}") for n in (1, 2) for user in (rep, teammate, third)
    ]
    review = run_review(
        facilitator=ops, title="Rounds", written=written, finish=False, anonymous=anonymous
    )
    rounds = revealed_by_round(review)
    for authors in rounds:
        assert sorted(authors) == sorted([rep.pk, teammate.pk, third.pk])
    if not anonymous:  # a named review goes round in the order people sit
        assert rounds == [[rep.pk, teammate.pk, third.pk]] * 2


def test_in_an_anonymous_review_the_order_within_a_round_is_not_the_seating(
    ops, rep, teammate, third
):
    """Twenty reviews of three people: the first item revealed is not always the first
    person's (1 chance in 3**19 of that by luck)."""
    firsts = Counter()
    for number in range(20):
        review = run_review(
            facilitator=ops,
            title=f"Shuffle {number}",
            written=[(user, "plus", "Plus") for user in (rep, teammate, third)],
            finish=False,
        )
        firsts[revealed_by_round(review)[0][0]] += 1
    assert len(firsts) > 1
