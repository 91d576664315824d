"""Between reviews and while grouping: the next review of the same scope opens on the last
one's actions and their status, a delta group that comes back is marked recurring, items are
grouped by dropping one onto another, the admin never names an author, and seed_demo holds a
finished review and the next one ready to start."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pipeline.deals.models import Pipeline
from pipeline.reviews import selectors, services
from pipeline.reviews.demo import run_review
from pipeline.reviews.models import Group, Item, Review, Vote, title_key
from tests.factories import UserFactory
from tests.hostile import OK, fuzz, hostile, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops", is_staff=True, first_name="Sam", last_name="Ops")


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


def grouping(ops, participants, title="Q4 look back", **setup):
    """A review at "group and vote" with the deltas "SOE late again" (first participant) and
    "Nobody agreed the pilot scope", "Proposal silence" (second), and a plus."""
    first, second = participants
    return run_review(
        facilitator=ops,
        title=title,
        written=[
            (first, "plus", "Patience paid off"),
            (first, "delta", "SOE late again"),
            (second, "delta", "Nobody agreed the pilot scope"),
            (second, "delta", "Proposal silence"),
        ],
        finish=False,
        **setup,
    )


def recurs(review, group, user):
    group.members = list(group.items.all())
    return selectors.recurring(review, [group], user)


def board(client, review):
    return client.get(reverse("reviews:detail", args=[review.pk])).content.decode()


def act(client, review, verb, **data):
    return client.post(reverse(f"reviews:{verb}", args=[review.pk]), data)


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


def test_actions_link_to_the_part_of_the_process_they_change(client, ops, rep, teammate, stages):
    from pipeline.followups.models import PatienceRule

    rule = PatienceRule.objects.create(kind="dragging_evaluation", days=7, why="Let it sink in")
    today = timezone.localdate()
    review = run_review(
        facilitator=ops,
        title="Linked",
        written=[(rep, "delta", "Proposals chased too soon")],
        actions=[
            {
                "text": "Wait at Decision",
                "owner": rep,
                "due_on": today,
                "stage": stages["Decision"],
            },
            {"text": "Hold a week", "owner": rep, "due_on": today, "patience_rule": rule},
        ],
    )
    client.force_login(ops)  # sales ops may edit patience rules in the admin
    page = board(client, review)
    board_url = reverse("pipeline:board_pipeline", args=[stages["Decision"].pipeline_id])
    assert f'<a href="{board_url}">stage Decision (Standard)</a>' in page
    admin_url = reverse("admin:pipeline_patiencerule_change", args=[rule.pk])
    assert f'href="{admin_url}"' in page
    client.force_login(rep)  # a rep has no admin: the rule is named, not linked
    page = board(client, review)
    assert admin_url not in page
    assert "patience rule “Dragging evaluation: Let it sink in”" in page
    assert f'<a href="{board_url}">' in client.get(reverse("home")).content.decode()


def test_the_admin_never_names_an_items_author(client, ops, rep, teammate):
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    review = grouping(ops, [rep, teammate])
    item = Item.objects.get(text="SOE late again")
    client.force_login(admin)
    names = (rep.get_full_name(), rep.username)
    for url in (
        reverse("admin:reviews_item_changelist"),
        reverse("admin:reviews_item_change", args=[item.pk]),
    ):
        page = client.get(url).content.decode()
        assert "SOE late again" in page
        assert not any(name in page for name in names), url
    # The review's own page lists who took part, and its items without who wrote them.
    page = client.get(reverse("admin:reviews_review_change", args=[review.pk])).content.decode()
    assert "SOE late again" in page
    assert not re.search(r">\s*author\s*<|-author\b", page, re.IGNORECASE)
    # No search by author either.
    found = client.get(reverse("admin:reviews_item_changelist") + f"?q={rep.username}")
    assert found.status_code == 200
    assert "SOE late again" not in found.content.decode()


def test_seed_demo_holds_a_finished_review_and_the_next_one_ready(client, standard):
    call_command("seed_demo", force=True, stdout=StringIO())
    finished = Review.objects.get(phase="summary")
    upcoming = Review.objects.get(phase="setup")
    assert finished.actions.count() == 4
    assert finished.actions.filter(done_at__isnull=False).count() == 1
    assert finished.groups.get().title == "Share the SOE earlier"
    assert finished.votes.count() == 6
    assert upcoming.items.filter(kind="fact").exists()
    assert selectors.previous_review(upcoming, upcoming.facilitator)[0] == finished
    from salesflow.core.models import User

    client.force_login(User.objects.get(username="ana"))
    home = client.get(reverse("home")).content.decode()
    assert "Write the buyer" in home  # her open action from the review
    client.force_login(User.objects.get(username="sam"))
    page = board(client, upcoming)
    assert "Since the last review" in page
    assert "Overdue</span>" in page
    call_command("seed_demo", force=True, stdout=StringIO())
    assert Review.objects.count() == 2


def test_the_printable_summary_names_authors_only_when_not_anonymous(client, ops, rep, teammate):
    today = timezone.localdate()
    for anonymous in (True, False):
        review = run_review(
            facilitator=ops,
            title=f"Open {anonymous}",
            written=[(rep, "plus", "Whys early"), (teammate, "delta", "SOE late")],
            votes=[(rep, "SOE late")],
            actions=[{"text": "Draft SOE", "owner": teammate, "due_on": today}],
            anonymous=anonymous,
        )
        client.force_login(rep)
        page = client.get(reverse("reviews:summary", args=[review.pk])).content.decode()
        items = page.split('id="s-actions"')[0]
        assert "Whys early" in items
        assert "1 vote</span>" in items
        assert ("— Rita Rep" in items) is not anonymous
        assert ("— Theo Mate" in items) is not anonymous
        assert "Draft SOE — Theo Mate" in page  # an action always names its owner


@pytest.mark.parametrize("phase", ["plusses", "grouping", "actions", "summary"])
def test_no_view_or_export_names_an_author_of_an_anonymous_review(
    client, ops, rep, teammate, phase
):
    """Rita and Theo write; the pages are read by sales ops (whose own name is in the menu)
    and by each other. Neither name may appear on any page or export of the review."""
    review = run_review(
        facilitator=ops,
        title="Anonymous all the way",
        written=[(rep, "plus", "Whys early"), (teammate, "delta", "SOE late")],
        votes=[(rep, "SOE late")],
        actions=[{"text": "Draft SOE", "owner": ops, "due_on": timezone.localdate()}],
        finish=False,
    )
    Review.objects.filter(pk=review.pk).update(phase=phase)
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True, first_name="Ada")
    detail = reverse("reviews:detail", args=[review.pk])
    summary = reverse("reviews:summary", args=[review.pk])
    for reader, hidden in ((ops, ("Rita", "Theo")), (rep, ("Theo",)), (teammate, ("Rita",))):
        client.force_login(reader)
        for response in (
            client.get(detail),
            client.get(detail, {"phase": phase}, headers={"HX-Request": "true"}),  # the poll
            client.get(summary),
            client.get(summary, {"format": "md"}),
            client.get(reverse("reviews:list")),
        ):
            assert response.status_code == 200
            # The action form offers everyone as an owner: a list of people, not of authors.
            page = re.sub(r"<select.*?</select>", "", response.content.decode(), flags=re.S)
            for name in hidden:
                assert name not in page, (reader, response.request["PATH_INFO"], name)
    client.force_login(ops)  # the facilitator's home lists their actions; nobody's items
    assert "Rita" not in client.get(reverse("home")).content.decode()
    client.force_login(admin)
    for url in (
        reverse("admin:reviews_item_changelist"),
        reverse("admin:reviews_item_change", args=[review.items.first().pk]),
        reverse("admin:reviews_action_changelist"),
        reverse("admin:reviews_phasechange_changelist"),
    ):
        page = client.get(url).content.decode()
        assert "Rita" not in page, url
        assert "Theo" not in page, url
