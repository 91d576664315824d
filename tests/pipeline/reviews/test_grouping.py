"""Grouping and voting: items are grouped by dropping one onto another (or by ticking
boxes), votes follow the deltas into groups and can always be taken back, and only the
facilitator groups, only while grouping."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from pipeline.reviews import services
from pipeline.reviews.models import Group, Item, Review, Vote
from tests.hostile import OK, fuzz, hostile, ids
from tests.pipeline.reviews.helpers import act, board, grouping

pytestmark = pytest.mark.django_db


def test_dropping_one_item_on_another_groups_them_and_on_a_group_adds_it(
    client, ops, rep, teammate
):
    review = grouping(ops, [rep, teammate])
    late = Item.objects.get(text="SOE late again")
    scope_item = Item.objects.get(text="Nobody agreed the pilot scope")
    silence = Item.objects.get(text="Proposal silence")
    plus = Item.objects.get(text="Patience paid off")
    client.force_login(ops)
    assert act(client, review, "drop", item=late.pk, onto_item=scope_item.pk).status_code == 302
    group = Group.objects.get(review=review)
    assert group.title == "Nobody agreed the pilot scope"  # the target's words, until renamed
    assert set(group.items.values_list("pk", flat=True)) == {late.pk, scope_item.pk}
    act(client, review, "drop", item=silence.pk, onto_group=group.pk)
    assert group.items.count() == 3
    # A plus does not join deltas; the message says why and nothing changes.
    response = act(client, review, "drop", item=plus.pk, onto_group=group.pk)
    assert "plusses with plusses" in board(client, review)
    assert response.status_code == 302
    assert group.items.count() == 3
    act(client, review, "rename", group=group.pk, title="Pilots and proposals drift")
    assert Group.objects.get(pk=group.pk).title == "Pilots and proposals drift"
    # A vote on the group, and (below) a vote on a delta before it joins another group.
    services.vote_cast(actor=rep, review=review, group=group)
    page = board(client, review)
    assert 'title="votes">1<' in page
    # Taking items out: a group left with one item dissolves and its votes go to that item.
    act(client, review, "ungroup", item=silence.pk)
    act(client, review, "ungroup", item=late.pk)
    assert not Group.objects.filter(pk=group.pk).exists()
    assert Item.objects.filter(review=review, group__isnull=False).count() == 0
    assert list(Vote.objects.filter(voter=rep).values_list("item", "group")) == [
        (scope_item.pk, None)
    ]


def test_votes_follow_the_deltas_into_groups_and_can_always_be_taken_back(
    client, ops, rep, teammate
):
    review = grouping(ops, [rep, teammate])
    late, scope_item, silence = (
        Item.objects.get(text=text)
        for text in ("SOE late again", "Nobody agreed the pilot scope", "Proposal silence")
    )
    services.vote_cast(actor=teammate, review=review, item=late)
    services.vote_cast(actor=rep, review=review, item=scope_item)
    client.force_login(ops)
    act(client, review, "drop", item=late.pk, onto_item=scope_item.pk)
    group = Group.objects.get(review=review)
    assert Vote.objects.filter(group=group).count() == 2  # both votes now count for the group
    client.force_login(teammate)
    assert "Your votes left: <strong>2</strong>" in board(client, review)
    act(client, review, "unvote", group=group.pk)  # taken back from where it now counts
    assert not Vote.objects.filter(voter=teammate).exists()
    # Regrouping by ticking boxes (the keyboard's way) keeps the group's votes.
    client.force_login(ops)
    act(client, review, "group", items=[late.pk, scope_item.pk, silence.pk], title="Drift")
    regrouped = Group.objects.get(review=review)
    assert regrouped.title == "Drift"
    assert list(Vote.objects.values_list("voter", "group")) == [(rep.pk, regrouped.pk)]


def test_only_the_facilitator_groups_and_only_while_grouping(client, ops, rep, teammate):
    review = grouping(ops, [rep, teammate])
    late = Item.objects.get(text="SOE late again")
    silence = Item.objects.get(text="Proposal silence")
    client.force_login(rep)
    assert act(client, review, "drop", item=late.pk, onto_item=silence.pk).status_code == 403
    assert not Group.objects.exists()
    services.review_advance(actor=ops, review=review, seen="grouping")
    with pytest.raises(ValidationError, match="Group and vote"):
        services.group_items(actor=ops, review=review, items=[late, silence])
    assert not Group.objects.exists()


def test_the_board_waits_while_the_facilitator_drags(client, ops, rep, teammate):
    """The cards carry what the drag script needs, and the script is there."""
    review = grouping(ops, [rep, teammate])
    client.force_login(ops)
    page = board(client, review)
    assert page.count('draggable="true"') == 4
    assert page.count("data-drop-item=") == 4
    assert 'id="drop-form"' in page
    assert "js/review.js" in page
    client.force_login(rep)
    assert 'draggable="true"' not in board(client, review)


@fuzz
@given(
    verb=st.sampled_from(["drop", "rename", "ungroup"]),
    data=st.dictionaries(
        st.sampled_from(["item", "onto_item", "onto_group", "group", "title"]),
        st.one_of(hostile, ids),
    ),
)
def test_hostile_drops_renames_and_ungroupings_never_fail(client, ops, rep, teammate, verb, data):
    review = Review.objects.filter(title="Fuzzed").first() or grouping(
        ops, [rep, teammate], title="Fuzzed"
    )
    client.force_login(ops)
    groups = list(Group.objects.values_list("pk", "title"))
    response = act(client, review, verb, **data)
    assert response.status_code in OK
    if response.status_code != 302:
        assert list(Group.objects.values_list("pk", "title")) == groups
