"""Review rules found by trying the feature as a new user and as a hostile one: the reveal
order says nothing about who wrote what, the admin cannot be asked for one person's items,
the board stays put while nothing changes, an action's owner can always reach it, a review
only follows up reviews its reader may see, and odd input is refused with a message."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pipeline.reviews import selectors, services
from pipeline.reviews.demo import run_review
from pipeline.reviews.forms import ReviewForm
from pipeline.reviews.models import Item, Review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops", is_staff=True, first_name="Sam", last_name="Ops")


@pytest.fixture
def third(team):
    return UserFactory(role="rep", team=team, first_name="Tara", last_name="Third")


def act(client, review, verb, **data):
    return client.post(reverse(f"reviews:{verb}", args=[review.pk]), data)


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


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


def test_the_admin_refuses_to_filter_items_by_their_author(client, ops, rep, teammate):
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    run_review(facilitator=ops, title="Quiet", written=[(rep, "plus", "Mine, quietly")])
    client.force_login(admin)
    for query in (
        f"author={rep.pk}",
        f"author__id__exact={rep.pk}",
        f"author__in={rep.pk},{teammate.pk}",
        f"author__username={rep.username}",
    ):
        response = client.get(reverse("admin:reviews_item_changelist") + "?" + query)
        assert response.status_code == 400, query
        assert "Mine, quietly" not in response.content.decode()
    response = client.get(reverse("admin:reviews_review_changelist") + f"?items__author={rep.pk}")
    assert response.status_code == 400


def test_the_board_poll_swaps_nothing_while_nothing_changed(client, ops, rep, teammate):
    review = run_review(
        facilitator=ops,
        title="Still",
        written=[(rep, "delta", "Slow"), (teammate, "delta", "Late")],
        finish=False,
    )
    client.force_login(rep)
    url = reverse("reviews:detail", args=[review.pk])
    page = client.get(url).content.decode()
    version = page.split("&amp;v=")[1].split('"')[0]
    poll = {"phase": "grouping", "v": version}
    assert client.get(url, poll, headers={"HX-Request": "true"}).status_code == 204
    services.vote_cast(actor=teammate, review=review, item=Item.objects.get(text="Late"))
    changed = client.get(url, poll, headers={"HX-Request": "true"})
    assert changed.status_code == 200
    assert 'title="votes">1<' in changed.content.decode()


def test_an_actions_owner_is_someone_in_the_room(client, ops, rep, teammate, outsider):
    review = run_review(
        facilitator=ops, title="Room", written=[(rep, "delta", "Slow")], finish=False
    )
    services.review_advance(actor=ops, review=review, seen="grouping")
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="taking part"):
        services.action_create(actor=ops, review=review, text="Do", owner=teammate, due_on=today)
    client.force_login(ops)
    page = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    owners = page.split('name="owner"')[1].split("</select>")[0]
    assert "Rita Rep" in owners
    assert "Theo Mate" not in owners
    # Dates from today to two years ahead; one part of the process at most.
    for due in (today - timedelta(days=1), today + timedelta(days=800), date(1, 1, 1)):
        with pytest.raises(ValidationError, match="due date"):
            services.action_create(actor=ops, review=review, text="Do", owner=rep, due_on=due)
    assert not review.actions.exists()


def test_an_action_points_at_one_part_of_the_process_at_most(ops, rep, stages):
    from pipeline.followups.models import PatienceRule

    review = run_review(
        facilitator=ops, title="One part", written=[(rep, "delta", "Slow")], finish=False
    )
    services.review_advance(actor=ops, review=review, seen="grouping")
    rule = PatienceRule.objects.create(kind="dragging_evaluation", days=3, why="Let it sink in")
    with pytest.raises(ValidationError, match="one part"):
        services.action_create(
            actor=ops,
            review=review,
            text="Do",
            owner=rep,
            due_on=timezone.localdate(),
            stage=stages["Qualified"],
            patience_rule=rule,
        )
    assert not review.actions.exists()


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


@pytest.mark.parametrize(
    ("verb", "field"),
    [
        ("delete", "item"),
        ("vote", "group"),
        ("vote", "item"),
        ("unvote", "item"),
        ("reveal", "seen_revealed"),
        ("drop", "item"),
        ("rename", "group"),
        ("ungroup", "item"),
        ("done", "action"),
        ("edit", "item"),
    ],
)
def test_digits_that_are_not_numbers_are_refused_with_a_message(client, ops, rep, verb, field):
    review = services.review_create(actor=ops, title="Odd", participants=[rep])
    client.force_login(ops)
    for odd in ("²", "٣", "1²"):
        response = act(client, review, verb, **{field: odd})
        assert response.status_code in {302, 403}, (verb, odd)


def test_a_quarter_is_named_by_its_first_day(ops, rep):
    for day in (date(9999, 12, 31), date(2026, 2, 17), date(2026, 2, 1)):
        with pytest.raises(ValidationError, match="first day"):
            services.review_create(
                actor=ops, title="Q", participants=[rep], scope="quarter", quarter_start=day
            )
        form = ReviewForm(
            {
                "title": "Q",
                "scope": "quarter",
                "quarter_start": day.isoformat(),
                "votes_each": 3,
                "participants": [rep.pk],
            }
        )
        assert "quarter_start" in form.errors
    review = services.review_create(
        actor=ops, title="Q4", participants=[rep], scope="quarter", quarter_start=date(2026, 10, 1)
    )
    assert services.review_seed_facts(actor=ops, review=review)
    assert "A quarter: the quarter from 1 Oct 2026" in selectors.summary_markdown(
        review=review, user=ops
    )


def test_a_rep_sees_how_many_people_each_review_has(client, ops, rep, teammate):
    services.review_create(actor=ops, title="Three of us", participants=[rep, teammate])
    client.force_login(rep)
    page = client.get(reverse("reviews:list")).content.decode()
    row = page.split("Three of us")[1].split("</tr>")[0]
    assert '<td class="text-end">3</td>' in row


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


def test_small_things_say_what_happened(client, ops, rep, teammate):
    review = services.review_create(actor=ops, title="Small", participants=[rep, teammate])
    client.force_login(ops)
    response = act(client, review, "advance", seen="nonsense")
    assert "Reload the board" in messages_of(client.get(response.url))
    act(client, review, "advance", seen="setup")
    client.force_login(rep)
    act(client, review, "write", kind="plus", text="First try")
    item = Item.objects.get(text="First try")
    act(client, review, "edit", item=item.pk, text="Second try")  # authors change their own
    item.refresh_from_db()
    assert item.text == "Second try"
    client.force_login(ops)
    act(client, review, "advance", seen="writing")
    act(client, review, "reveal", seen_revealed=0)
    response = act(client, review, "reveal", seen_revealed=1)
    assert "Everything of this kind is on the board" in messages_of(client.get(response.url))
    # Reopening writing keeps what was revealed on everyone's board.
    act(client, review, "reopen", seen="plusses")
    client.force_login(teammate)
    assert "Second try" in client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    # Sales ops looking in on a review they are not part of gets no vote buttons.
    looker = UserFactory(role="sales_ops")
    Review.objects.filter(pk=review.pk).update(phase="grouping")
    client.force_login(looker)
    page = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    assert "Your votes left" not in page
    assert "Vote for" not in page
