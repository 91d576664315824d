"""The review's board and list as people use them: the poll swaps nothing while nothing
changed, each click says what happened, and the list counts who takes part."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pipeline.reviews import services
from pipeline.reviews.demo import run_review
from pipeline.reviews.models import Item, Review
from tests.factories import UserFactory
from tests.pipeline.reviews.helpers import act

pytestmark = pytest.mark.django_db


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


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


def test_a_rep_sees_how_many_people_each_review_has(client, ops, rep, teammate):
    services.review_create(actor=ops, title="Three of us", participants=[rep, teammate])
    client.force_login(rep)
    page = client.get(reverse("reviews:list")).content.decode()
    row = page.split("Three of us")[1].split("</tr>")[0]
    assert '<td class="text-end">3</td>' in row


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
