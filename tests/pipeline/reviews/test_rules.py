"""A plusses/deltas review's rules, on PostgreSQL: phases, privacy, round the room, votes,
actions."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from hypothesis import given

from pipeline.reviews import access, selectors, services
from pipeline.reviews.models import Item, PhaseChange, Review
from tests.factories import UserFactory
from tests.hostile import fuzz, hostile

pytestmark = pytest.mark.django_db
Phase = Review.Phase


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops", first_name="Sam")


@pytest.fixture
def review(ops, rep, teammate):
    return services.review_create(actor=ops, title="Q3 deltas", participants=[rep, teammate])


def advance_to(review, ops, phase):
    while review.phase != phase:
        services.review_advance(actor=ops, review=review, seen=review.phase)


def test_only_sales_ops_or_an_admin_runs_a_review(rep, manager, ops):
    for user in (rep, manager):
        with pytest.raises(PermissionDenied):
            services.review_create(actor=user, title="Mine", participants=[])
    assert not Review.objects.exists()
    review = services.review_create(actor=ops, title="Theirs", participants=[rep])
    assert [p.user for p in review.participants.all()] == [ops, rep]  # the facilitator too


def test_a_double_click_or_a_second_tab_moves_the_phase_once(review, ops):
    services.review_advance(actor=ops, review=review, seen=Phase.SETUP)
    with pytest.raises(ValidationError, match="already moved on: it is at “Write privately”"):
        services.review_advance(actor=ops, review=review, seen=Phase.SETUP)
    assert Review.objects.get(pk=review.pk).phase == Phase.WRITING
    assert PhaseChange.objects.filter(review=review).count() == 1


def test_nobody_sees_anyone_elses_items_while_writing(review, ops, rep, teammate):
    advance_to(review, ops, Phase.WRITING)
    mine = services.item_write(actor=rep, review=review, kind="plus", text="Quick replies")
    theirs = services.item_write(actor=teammate, review=review, kind="delta", text="Late SOEs")
    assert list(selectors.board_items(review=review, user=rep)) == [mine]
    assert list(selectors.board_items(review=review, user=teammate)) == [theirs]
    assert list(selectors.board_items(review=review, user=ops)) == []  # the facilitator too
    counts = {user.pk: n for user, n in selectors.items_written(review=review)}
    assert counts == {ops.pk: 0, rep.pk: 1, teammate.pk: 1}


def test_plusses_come_round_the_room_one_person_at_a_time_then_deltas(review, ops, rep, teammate):
    advance_to(review, ops, Phase.WRITING)
    services.item_write(actor=rep, review=review, kind="plus", text="R1")
    services.item_write(actor=rep, review=review, kind="plus", text="R2")
    services.item_write(actor=teammate, review=review, kind="plus", text="T1")
    services.item_write(actor=rep, review=review, kind="delta", text="RD")
    services.review_advance(actor=ops, review=review, seen=Phase.WRITING)
    shown = []
    while item := services.review_reveal_next(actor=ops, review=review, seen_revealed=len(shown)):
        shown.append(item.text)
    # Round the room (everyone's first, then the seconds; within a round the order is random
    # since the review is anonymous), and no delta among the plusses.
    assert sorted(shown[:2]) == ["R1", "T1"]
    assert shown[2:] == ["R2"]
    with pytest.raises(ValidationError, match="Still to reveal: 1 delta"):
        services.review_advance(actor=ops, review=review, seen=Phase.DELTAS)
    services.review_advance(actor=ops, review=review, seen=Phase.PLUSSES)
    with pytest.raises(ValidationError, match=r"Still to reveal: 1 delta\."):
        services.review_advance(actor=ops, review=review, seen=Phase.DELTAS)
    assert services.review_reveal_next(actor=ops, review=review, seen_revealed=3).text == "RD"


def test_a_second_reveal_click_on_the_same_board_reveals_nothing(review, ops, rep):
    advance_to(review, ops, Phase.WRITING)
    services.item_write(actor=rep, review=review, kind="plus", text="A")
    services.item_write(actor=rep, review=review, kind="plus", text="B")
    services.review_advance(actor=ops, review=review, seen=Phase.WRITING)
    services.review_reveal_next(actor=ops, review=review, seen_revealed=0)
    with pytest.raises(ValidationError, match="revealed an item meanwhile"):
        services.review_reveal_next(actor=ops, review=review, seen_revealed=0)
    assert review.items.filter(revealed_at__isnull=False).count() == 1


def test_no_way_back_to_writing_except_reopen_which_keeps_everything(review, ops, rep):
    advance_to(review, ops, Phase.WRITING)
    services.item_write(actor=rep, review=review, kind="plus", text="A")
    services.review_advance(actor=ops, review=review, seen=Phase.WRITING)
    services.review_reveal_next(actor=ops, review=review, seen_revealed=0)
    with pytest.raises(ValidationError):
        services.item_write(actor=rep, review=review, kind="plus", text="late")
    services.review_reopen(actor=ops, review=review, seen=Phase.PLUSSES)
    late = services.item_write(actor=rep, review=review, kind="plus", text="late")
    assert review.items.filter(revealed_at__isnull=False).count() == 1  # still on the board
    assert late.revealed_at is None
    services.review_advance(actor=ops, review=review, seen=Phase.WRITING)
    assert services.review_reveal_next(actor=ops, review=review, seen_revealed=1) == late
    advance_to(review, ops, Phase.GROUPING)
    with pytest.raises(ValidationError, match="only while going round the room"):
        services.review_reopen(actor=ops, review=review, seen=Phase.GROUPING)


@pytest.mark.parametrize("text", ["", "   ", "x" * 501, "a\x00b"])
def test_bad_items_are_refused_and_nothing_is_saved(review, ops, rep, text):
    advance_to(review, ops, Phase.WRITING)
    with pytest.raises(ValidationError):
        services.item_write(actor=rep, review=review, kind="plus", text=text)
    with pytest.raises(ValidationError):
        services.item_write(actor=rep, review=review, kind="minus", text="No minuses here")
    assert not Item.objects.exists()


def test_only_the_author_edits_an_item_and_only_while_writing(review, ops, rep, teammate):
    advance_to(review, ops, Phase.WRITING)
    item = services.item_write(actor=rep, review=review, kind="delta", text="Slow")
    with pytest.raises(PermissionDenied):
        services.item_edit(actor=teammate, item=item, text="Mine now")
    services.item_edit(actor=rep, item=item, text="Slow replies")
    services.review_advance(actor=ops, review=review, seen=Phase.WRITING)
    with pytest.raises(ValidationError):
        services.item_edit(actor=rep, item=item, text="Changed later")
    item.refresh_from_db()
    assert item.text == "Slow replies"


@pytest.fixture
def voting(review, ops, rep, teammate):
    advance_to(review, ops, Phase.WRITING)
    deltas = [
        services.item_write(actor=user, review=review, kind="delta", text=text)
        for user, text in ((rep, "No SOE early"), (teammate, "SOE too late"), (rep, "Pricing"))
    ]
    advance_to(review, ops, Phase.DELTAS)
    for count in range(3):
        services.review_reveal_next(actor=ops, review=review, seen_revealed=count)
    advance_to(review, ops, Phase.GROUPING)
    return [Item.objects.get(pk=delta.pk) for delta in deltas]


def test_votes_beyond_the_allowance_are_refused(review, rep, voting):
    group = services.group_items(
        actor=review.facilitator, review=review, items=voting[:2], title="SOE timing"
    )
    for _ in range(3):
        services.vote_cast(actor=rep, review=review, group=group)
    with pytest.raises(ValidationError, match="spent all 3"):
        services.vote_cast(actor=rep, review=review, item=voting[2])
    assert review.votes.filter(voter=rep).count() == 3


def test_votes_and_actions_on_another_reviews_items_are_refused(review, ops, rep, voting):
    other = services.review_create(actor=ops, title="Other", participants=[rep])
    advance_to(other, ops, Phase.GROUPING)
    with pytest.raises(ValidationError):
        services.vote_cast(actor=rep, review=other, item=voting[0])
    advance_to(other, ops, Phase.ACTIONS)
    with pytest.raises(ValidationError, match="another review"):
        services.action_create(
            actor=ops,
            review=other,
            text="Fix",
            owner=rep,
            due_on=date(2027, 1, 1),
            source_item=voting[0],
        )
    assert not other.votes.exists()
    assert not other.actions.exists()


def test_a_delta_becomes_an_action_pointing_at_a_stage(review, ops, rep, voting, stages):
    advance_to(review, ops, Phase.ACTIONS)
    action = services.action_create(
        actor=ops,
        review=review,
        text="Offer the SOE in Qualified",
        owner=rep,
        due_on=date(2027, 1, 15),
        source_item=voting[0],
        stage=stages["Qualified"],
    )
    assert action.stage == stages["Qualified"]
    services.action_done(actor=rep, action=action)
    action.refresh_from_db()
    assert action.done_at is not None


def test_anonymous_items_name_no_author_and_outsiders_get_404(review, ops, rep, outsider):
    advance_to(review, ops, Phase.WRITING)
    item = services.item_write(actor=rep, review=review, kind="plus", text="Good calls")
    assert selectors.item_author(review=review, item=item) is None
    assert "Good calls" in str(item)
    assert rep.username not in str(item)
    assert access.get_review_for_user(rep, review.pk) == review
    with pytest.raises(Http404):
        access.get_review_for_user(outsider, review.pk)
    with pytest.raises(PermissionDenied):
        services.item_write(actor=outsider, review=review, kind="plus", text="Sneaky")


def test_a_quarter_review_opens_with_facts_from_the_data(ops, rep, history):
    review = services.review_create(
        actor=ops,
        title="Q1",
        participants=[rep],
        scope=Review.Scope.QUARTER,
        quarter_start=date(2026, 1, 1),
    )
    facts = [item.text for item in services.review_seed_facts(actor=ops, review=review)]
    assert facts[0] == "Conversion Lead → Qualified: 66.7% (4 of 6)"
    assert "Stuck deals: 0." in facts[-2]
    assert facts[-1].startswith("Top lost reasons: ")
    # Seeding again replaces them; everyone sees them, before anyone writes.
    services.review_seed_facts(actor=ops, review=review)
    assert review.items.filter(kind=Item.Kind.FACT).count() == len(facts)
    assert len(list(selectors.board_items(review=review, user=rep))) == len(facts)


def test_a_deal_review_opens_with_that_deals_story(ops, rep, history):
    review = services.review_create(
        actor=ops, title="Why A won", participants=[rep], scope="deal", opportunity=history["A"]
    )
    facts = [item.text for item in services.review_seed_facts(actor=ops, review=review)]
    assert (
        facts[0] == "Path: Lead → Qualified → Solution development → Evaluation → Decision → Won."
    )
    assert facts[2] == "No SOE was shared."
    assert facts[3] == (
        "When qualified — Has a problem: yes; Accepts it is significant: yes; Is ready to act: yes."
    )


def test_the_markdown_summary_names_nobody_when_anonymous(review, ops, rep, voting, stages):
    group = services.group_items(actor=ops, review=review, items=voting[:2], title="SOE *timing*")
    services.vote_cast(actor=rep, review=review, group=group)
    services.vote_cast(actor=rep, review=review, item=voting[2])
    advance_to(review, ops, Phase.ACTIONS)
    services.action_create(
        actor=ops,
        review=review,
        text="Offer the SOE earlier",
        owner=rep,
        due_on=date(2027, 1, 15),
        source_group=group,
        stage=stages["Qualified"],
    )
    text = selectors.summary_markdown(review=review, user=review.facilitator)
    assert "## Deltas" in text
    assert "- Pricing (1 vote)" in text
    members = "; ".join(  # in the order they were revealed (random in an anonymous review)
        Item.objects.filter(group=group).order_by("reveal_order").values_list("text", flat=True)
    )
    assert f"**SOE \\*timing\\*** (1 vote): {members}" in text
    assert (
        "- [ ] Offer the SOE earlier — Rita Rep, due 15 Jan 2027 — about stage Qualified "
        "(Standard) — from “SOE \\*timing\\*”" in text
    )
    assert "Theo" not in text  # a delta's author, anonymous
    Review.objects.filter(pk=review.pk).update(anonymous=False)
    review.refresh_from_db()
    assert "- SOE too late — Theo Mate" in selectors.summary_markdown(
        review=review, user=review.facilitator
    )


@pytest.mark.django_db(transaction=True)
def test_two_facilitator_tabs_moving_at_once_move_the_review_once(ops, rep):
    """On PostgreSQL, two requests racing: one moves the review, the other is told it moved."""
    import threading

    from django.db import connection

    review = services.review_create(actor=ops, title="Race", participants=[rep])
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def click() -> None:
        start.wait()
        try:
            services.review_advance(
                actor=ops, review=Review.objects.get(pk=review.pk), seen=Phase.SETUP
            )
            outcomes.append("moved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    tabs = [threading.Thread(target=click) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert sorted(outcomes) == ["moved", "refused"]
    assert PhaseChange.objects.filter(review=review).count() == 1
    assert Review.objects.get(pk=review.pk).phase == Phase.WRITING


@fuzz
@given(kind=hostile, text=hostile, title=hostile)
def test_hostile_items_and_groups_are_refused_with_a_message(review, ops, rep, kind, text, title):
    """Whatever a participant sends, a refusal is a clear message and nothing is half-saved."""
    advance_to(review, ops, Phase.WRITING)
    before = Item.objects.count()
    clean = text.strip()
    if kind in {"plus", "delta"} and 0 < len(clean) <= 500 and "\x00" not in clean:
        assert services.item_write(actor=rep, review=review, kind=kind, text=text).text == clean
    else:
        with pytest.raises(ValidationError) as refused:
            services.item_write(actor=rep, review=review, kind=kind, text=text)
        assert refused.value.messages
        assert Item.objects.count() == before
    with pytest.raises(ValidationError, match=r"Group and vote"):
        services.group_items(actor=ops, review=review, items=[], title=title)
