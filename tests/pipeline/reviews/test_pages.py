"""Review pages: access for the facilitator, a participant and an outsider; a whole review
run through the pages; anonymity on every page and in the export."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pipeline.reviews import services
from pipeline.reviews.models import Item, Review
from tests.factories import UserFactory
from tests.hostile import OK, fuzz, hostile, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(db):
    return UserFactory(role="sales_ops", first_name="Sam", last_name="Ops")


@pytest.fixture
def review(ops, rep, teammate):
    return services.review_create(actor=ops, title="Q3 look back", participants=[rep, teammate])


def act(client, review, verb, **data):
    # By address, not URL name: the hostile posts below also try a change that does not exist.
    return client.post(reverse("reviews:detail", args=[review.pk]) + f"{verb}/", data)


def test_outsiders_get_404_and_only_sales_ops_sets_one_up(client, review, rep, outsider, manager):
    client.force_login(outsider)
    for url in (
        reverse("reviews:detail", args=[review.pk]),
        reverse("reviews:summary", args=[review.pk]),
    ):
        assert client.get(url).status_code == 404
    assert act(client, review, "advance", seen="setup").status_code == 404
    assert "Q3 look back" not in client.get(reverse("reviews:list")).content.decode()
    client.force_login(rep)
    assert client.get(reverse("reviews:detail", args=[review.pk])).status_code == 200
    assert "Q3 look back" in client.get(reverse("reviews:list")).content.decode()
    client.force_login(manager)
    assert client.get(reverse("reviews:create")).status_code == 403


def test_a_whole_review_through_the_pages(client, review, ops, rep, teammate, stages):
    client.force_login(ops)
    page = client.post(
        reverse("reviews:create"),
        {"title": "Made here", "scope": "process", "votes_each": 3, "participants": [rep.pk]},
    )
    assert page.status_code == 302
    assert Review.objects.filter(title="Made here").exists()
    act(client, review, "advance", seen="setup")
    act(client, review, "advance", seen="setup")  # a double click: refused, nothing moves twice
    assert Review.objects.get(pk=review.pk).phase == "writing"
    for user, kind, text in (
        (rep, "plus", "Plus from Rita"),
        (teammate, "plus", "Plus from Theo"),
        (rep, "delta", "Delta from Rita"),
        (teammate, "delta", "Delta from Theo"),
    ):
        client.force_login(user)
        act(client, review, "write", kind=kind, text=text)
    page = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    assert "Delta from Theo" in page
    assert "Delta from Rita" not in page  # private while writing
    client.force_login(ops)
    page = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    assert "Rita Rep 2" in page  # the facilitator sees counts only
    assert "Plus from Rita" not in page
    act(client, review, "advance", seen="writing")
    for seen in range(2):
        act(client, review, "reveal", seen_revealed=seen)
    act(client, review, "advance", seen="plusses")
    for seen in range(2, 4):
        act(client, review, "reveal", seen_revealed=seen)
    act(client, review, "advance", seen="deltas")
    deltas = list(review.items.filter(kind="delta").order_by("pk"))
    act(client, review, "group", items=[d.pk for d in deltas], title="Both deltas")
    group = review.groups.get()
    client.force_login(rep)
    for _ in range(4):
        act(client, review, "vote", group=group.pk)
    assert review.votes.filter(voter=rep).count() == 3  # the fourth was refused
    client.force_login(ops)
    act(client, review, "advance", seen="grouping")
    act(
        client,
        review,
        "action",
        text="Share SOEs sooner",
        owner=rep.pk,
        due_on="2027-01-31",
        source_group=group.pk,
        stage=stages["Qualified"].pk,
    )
    act(client, review, "advance", seen="actions")
    summary = client.get(reverse("reviews:summary", args=[review.pk]))
    text = summary.content.decode()
    assert "Share SOEs sooner" in text
    assert "Both deltas" in text
    assert "— Rita" not in text.split('id="s-actions"')[0]  # anonymous: items name nobody
    exported = client.get(reverse("reviews:summary", args=[review.pk]), {"format": "md"})
    assert exported["Content-Type"].startswith("text/markdown")
    # Anonymous: no item line names its author (an action names its owner, as it should).
    items = [line for line in exported.content.decode().splitlines() if line.startswith("- ")]
    assert items
    assert all(" — " not in line for line in items if "due " not in line)
    board = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    assert "Plus from Rita" in board
    assert "— Rita" not in board.split("Actions")[0]


def test_the_board_poll_answers_the_board_or_a_reload_when_the_phase_moved(client, review, ops):
    client.force_login(ops)
    url = reverse("reviews:detail", args=[review.pk])
    board = client.get(url, {"phase": "setup"}, HTTP_HX_REQUEST="true")
    assert board.content.decode().lstrip().startswith('<div id="review-board"')
    services.review_advance(actor=ops, review=review, seen="setup")
    moved = client.get(url, {"phase": "setup"}, HTTP_HX_REQUEST="true")
    assert moved.status_code == 204
    assert moved["HX-Refresh"] == "true"


@fuzz
@given(
    action=st.sampled_from(
        [
            "advance",
            "reopen",
            "reveal",
            "write",
            "delete",
            "group",
            "vote",
            "unvote",
            "action",
            "done",
            "seed",
            "nope",
        ]
    ),
    data=st.dictionaries(
        st.sampled_from(
            [
                "seen",
                "seen_revealed",
                "kind",
                "text",
                "item",
                "items",
                "group",
                "title",
                "owner",
                "due_on",
                "action",
                "stage",
            ]
        ),
        st.one_of(hostile, ids),
    ),
)
def test_hostile_posts_never_fail_and_never_half_save(client, review, ops, action, data):
    client.force_login(ops)
    items = Item.objects.count()
    response = act(client, review, action, **data)
    assert response.status_code in OK
    if response.status_code != 302 or action not in {"write", "seed"}:
        assert Item.objects.count() == items


def test_open_actions_show_on_their_owners_home_until_done_overdue_flagged(
    client, review, ops, rep
):
    from datetime import timedelta

    from django.utils import timezone

    Review.objects.filter(pk=review.pk).update(phase="actions")
    review.refresh_from_db()
    today = timezone.localdate()
    late = services.action_create(
        actor=ops, review=review, text="Rewrite the lost-deal notes", owner=rep, due_on=today
    )
    late.due_on = today - timedelta(days=2)  # and then two days went by
    late.save(update_fields=["due_on"])
    services.action_create(
        actor=ops,
        review=review,
        text="Offer the SOE earlier",
        owner=rep,
        due_on=today + timedelta(days=30),
    )
    client.force_login(rep)
    home = client.get(reverse("home")).content.decode()
    assert "Rewrite the lost-deal notes" in home
    assert "Offer the SOE earlier" in home
    assert home.count("overdue</span>") == 1
    act(client, review, "done", action=late.pk)
    assert "Rewrite the lost-deal notes" not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("size", [1, 30])
def test_review_pages_query_count_is_constant(
    client, ops, rep, teammate, size, django_assert_num_queries
):
    from datetime import date

    from pipeline.reviews.demo import run_review

    # A review before it, with actions and the same group: the board follows both up.
    run_review(
        facilitator=ops,
        title="Before",
        written=[(rep, "delta", "One"), (teammate, "delta", "Two")],
        groups={"Sized theme": ["One", "Two"]},
        actions=[
            {"text": f"Action {number}", "owner": rep, "due_on": date.today()}
            for number in range(min(size, 5))
        ],
    )
    review = run_review(
        facilitator=ops,
        title="Sized",
        written=[(rep, "delta", f"Delta {number}") for number in range(size + 2)],
        groups={"Sized theme": [f"Delta {size}", f"Delta {size + 1}"]},
        votes=[(rep, "Delta 0")] * min(size, 3),
        finish=False,
    )
    Review.objects.filter(pk=review.pk).update(created_at=timezone.now())
    client.force_login(rep)
    # Session, user, the review, its items, the votes, its groups, which of them recur, the
    # review before and its actions, this one's actions, the unread count.
    with django_assert_num_queries(11):
        assert client.get(reverse("reviews:detail", args=[review.pk])).status_code == 200
    # The poll, every 3 s from every screen: the board alone (session, user, the review, its
    # items, votes, groups, which recur, its actions), not the review before nor the menu.
    poll = {"phase": review.phase}
    with django_assert_num_queries(8):
        response = client.get(
            reverse("reviews:detail", args=[review.pk]), poll, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
    # Session, user, the count and the page of reviews, the unread count.
    with django_assert_num_queries(5):
        assert client.get(reverse("reviews:list")).status_code == 200


def crawl(client, start: str = "/", limit: int = 200) -> dict[str, str]:
    """Every page reachable from `start` by following links on the site (GET only, the
    admin left out): path → its HTML."""
    import re
    from urllib.parse import urljoin, urlsplit

    seen, queue, pages = {start}, [start], {}
    while queue and len(pages) < limit:
        path = queue.pop(0)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        html = response.content.decode()
        pages[path] = html
        for href in re.findall(r'href="([^"#]+)', html):
            target = urlsplit(urljoin(path, href.replace("&amp;", "&")))
            link = target.path + (f"?{target.query}" if target.query else "")
            if target.netloc or link in seen or link.startswith(("/admin/", "/static/")):
                continue
            seen.add(link)
            queue.append(link)
    return pages


@pytest.mark.parametrize("who", ["ops", "rep"])
def test_no_page_title_has_markup_in_it(client, ops, rep, teammate, deal, who):
    """Every page a facilitator (and a rep) reaches names itself in plain text: a title
    holds no tag, whatever the page or the names typed into it."""
    import re

    from pipeline.followups import services as followup_services
    from pipeline.reviews.demo import run_review
    from pipeline.soe import services as soe_services

    run_review(
        facilitator=ops,
        title="<i>Q3</i> look back & more",
        written=[(rep, "plus", "Pilots <b>work</b>"), (teammate, "delta", "Late SOEs")],
    )
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    soe_services.soe_step_add(actor=rep, sequence=sequence, text="Board <em>meeting</em>")
    followup_services.followup_create(actor=rep, account=deal.account, purpose="Ask <why>")
    client.force_login({"ops": ops, "rep": rep}[who])
    pages = crawl(client)
    assert len(pages) >= 25, sorted(pages)
    assert any("/summary/" in path for path in pages), sorted(pages)
    if who == "rep":
        assert any(path.endswith("/soe/") for path in pages), sorted(pages)
    for path, html in pages.items():
        titles = re.findall(r"<title>(.*?)</title>", html, re.DOTALL)
        assert len(titles) == 1, path
        for character in "<>\n":
            assert character not in titles[0], (path, titles[0])
        assert titles[0].strip(), path
