"""A review's phase moves only as PHASE_TRANSITIONS says: a move the table lacks is refused
with the message the page shows, and nothing changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pipeline.reviews import services as review_services
from pipeline.reviews.models import NEXT_PHASE, PHASE_TRANSITIONS, REOPENABLE, PhaseChange, Review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Phase = Review.Phase


def test_the_phase_moves_are_read_off_one_table():
    assert NEXT_PHASE == {
        Phase.SETUP: Phase.WRITING,
        Phase.WRITING: Phase.PLUSSES,
        Phase.PLUSSES: Phase.DELTAS,
        Phase.DELTAS: Phase.GROUPING,
        Phase.GROUPING: Phase.ACTIONS,
        Phase.ACTIONS: Phase.SUMMARY,
    }
    assert {Phase.PLUSSES, Phase.DELTAS} == REOPENABLE
    assert PHASE_TRANSITIONS[Phase.SUMMARY] == frozenset()


@pytest.fixture
def review(rep):
    ops = UserFactory(role="sales_ops")
    return ops, review_services.review_create(actor=ops, title="Q3", participants=[rep])


def test_writing_is_not_reopened_before_the_room_goes_round(review):
    ops, review = review
    review_services.review_advance(actor=ops, review=review, seen=Phase.SETUP)
    with pytest.raises(ValidationError, match="only while going round the room"):
        review_services.review_reopen(actor=ops, review=review, seen=Phase.WRITING)
    assert Review.objects.get(pk=review.pk).phase == Phase.WRITING


def test_a_phase_move_taken_out_of_the_table_is_refused(review, monkeypatch):
    ops, review = review
    monkeypatch.setitem(PHASE_TRANSITIONS, Phase.SETUP, frozenset())
    with pytest.raises(ValidationError, match=r"Reload the board and try again\."):
        review_services.review_advance(actor=ops, review=review, seen=Phase.SETUP)
    assert Review.objects.get(pk=review.pk).phase == Phase.SETUP
    assert not PhaseChange.objects.filter(review=review).exists()
