"""The next review of the same scope follows up the last one: it opens on the last one's
actions and their status, and a delta group that comes back is marked recurring; only
within the scope, among reviews its reader may see, and never for plusses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.deals.models import Pipeline
from pipeline.reviews import selectors, services
from pipeline.reviews.demo import run_review
from pipeline.reviews.models import Group, Item, Review, title_key
from tests.pipeline.reviews.helpers import board, grouping

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_quarter(ops, rep, teammate):
    """A finished review of the whole process: one action done, one overdue, one open, and a
    delta group "SOE too late"."""
    today = timezone.localdate()
    review = run_review(
        facilitator=ops,
        title="Q3 look back",
        written=[
            (rep, "plus", "Whys asked early"),
            (rep, "delta", "SOE after the demo"),
            (teammate, "delta", "SOE skipped in a hurry"),
        ],
        groups={"SOE too late": ["SOE after the demo", "SOE skipped in a hurry"]},
        votes=[(rep, "SOE too late")],
        actions=[
            {"text": "Draft SOE in the first call", "owner": rep, "due_on": today},
            {"text": "Lost reasons in their words", "owner": teammate, "due_on": today},
            {"text": "Ask what doing nothing costs", "owner": rep, "due_on": today},
        ],
    )
    done, late, _ = review.actions.order_by("pk")
    services.action_done(actor=rep, action=done)
    late.due_on = today - timedelta(days=3)
    late.save(update_fields=["due_on"])
    Review.objects.filter(pk=review.pk).update(created_at=timezone.now() - timedelta(weeks=6))
    return review


def recurs(review, group, user):
    group.members = list(group.items.all())
    return selectors.recurring(review, [group], user)


def test_the_next_review_of_the_scope_opens_on_the_last_ones_actions(
    client, ops, rep, teammate, last_quarter
):
    upcoming = services.review_create(actor=ops, title="Q4 look back", participants=[rep])
    previous, actions = selectors.previous_review(upcoming, ops)
    assert previous == last_quarter
    assert [action.text for action in actions] == [
        "Lost reasons in their words",  # soonest due first
        "Draft SOE in the first call",
        "Ask what doing nothing costs",
    ]
    client.force_login(rep)
    page = board(client, upcoming)
    assert "Since the last review" in page
    assert "Q3 look back" in page
    assert page.count("Overdue</span>") == 1
    assert page.count(">Done ") == 1
    assert page.count("Open</span>") == 1
    assert "1 of 3 done." in page
    # ... and the summary carries them too.
    markdown = selectors.summary_markdown(review=upcoming, user=ops)
    assert "## Since the last review: Q3 look back" in markdown
    assert "- [x] Draft SOE in the first call" in markdown


def test_another_scope_or_pipeline_does_not_follow_up(ops, rep, teammate, last_quarter, standard):
    other = Pipeline.objects.create(name="Partners")
    first = services.review_create(
        actor=ops, title="Pipeline", participants=[rep], scope="pipeline", pipeline=standard
    )
    assert selectors.previous_review(first, ops) == (None, [])  # a pipeline review follows its own
    second = services.review_create(
        actor=ops, title="Pipeline again", participants=[rep], scope="pipeline", pipeline=standard
    )
    assert selectors.previous_review(second, ops)[0] == first
    third = services.review_create(
        actor=ops, title="Partners", participants=[rep], scope="pipeline", pipeline=other
    )
    assert selectors.previous_review(third, ops) == (None, [])
    # The first review of all has nothing before it.
    assert selectors.previous_review(last_quarter, ops) == (None, [])


def test_a_delta_group_that_comes_back_is_marked_recurring(
    client, ops, rep, teammate, last_quarter
):
    review = grouping(ops, [rep, teammate])
    late = Item.objects.get(text="SOE late again")
    proposal = Item.objects.get(text="Proposal silence")
    again = services.group_items(
        actor=ops, review=review, items=[late, proposal], title="soe — TOO late!"
    )
    assert title_key("soe — TOO late!") == title_key("SOE too late") == "soe too late"
    assert recurs(review, again, ops) == {again.pk: ["Q3 look back"]}
    client.force_login(teammate)
    page = board(client, review)
    assert page.count(">Recurring</span>") == 1
    assert "also in Q3 look back" in page
    # The facilitator is offered the earlier titles when naming a group.
    client.force_login(ops)
    assert '<option value="SOE too late">' in board(client, review)
    # Renamed to something new, it no longer recurs.
    services.group_rename(actor=ops, review=review, group=again, title="Proposals go quiet")
    assert recurs(review, Group.objects.get(pk=again.pk), ops) == {}


def test_a_group_recurs_only_within_the_same_scope(ops, rep, teammate, last_quarter, standard):
    review = grouping(ops, [rep, teammate], scope="pipeline", pipeline=standard)
    group = services.group_items(
        actor=ops,
        review=review,
        items=list(Item.objects.filter(review=review, kind="delta")[:2]),
        title="SOE too late",
    )
    assert recurs(review, group, ops) == {}


def test_a_review_follows_up_only_reviews_its_reader_may_see(client, ops, rep, teammate):
    today = timezone.localdate()
    private = run_review(
        facilitator=ops,
        title="Private one",
        written=[(rep, "delta", "Slow")],
        actions=[{"text": "Secret plan", "owner": rep, "due_on": today}],
    )
    Review.objects.filter(pk=private.pk).update(created_at=timezone.now() - timedelta(days=9))
    theirs = services.review_create(actor=ops, title="Theo's own", participants=[teammate])
    assert selectors.previous_review(theirs, teammate) == (None, [])
    assert selectors.previous_review(theirs, ops)[0] == private  # sales ops sees them all
    client.force_login(teammate)
    for url in (
        reverse("reviews:detail", args=[theirs.pk]),
        reverse("reviews:summary", args=[theirs.pk]),
        reverse("reviews:summary", args=[theirs.pk]) + "?format=md",
    ):
        page = client.get(url).content.decode()
        assert "Secret plan" not in page
        assert "Private one" not in page


def test_a_group_of_plusses_never_recurs(ops, rep, teammate):
    run_review(
        facilitator=ops,
        title="Before",
        written=[(rep, "delta", "A"), (teammate, "delta", "B")],
        groups={"Share the SOE earlier": ["A", "B"]},
    )
    review = run_review(
        facilitator=ops,
        title="After",
        written=[(rep, "plus", "C"), (teammate, "plus", "D")],
        groups={"share the SOE earlier!": ["C", "D"]},
        finish=False,
    )
    Review.objects.filter(pk=review.pk).update(created_at=timezone.now() + timedelta(seconds=1))
    review.refresh_from_db()
    group = review.groups.get()
    group.members = list(group.items.all())
    assert selectors.recurring(review, [group], ops) == {}
