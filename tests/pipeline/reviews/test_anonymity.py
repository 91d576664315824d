"""An anonymous review names no author: not on its pages, its printable summary or its
export; and the admin neither names an item's author nor filters by one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.reviews.demo import run_review
from pipeline.reviews.models import Item, Review
from tests.factories import UserFactory
from tests.pipeline.reviews.helpers import grouping

pytestmark = pytest.mark.django_db


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
