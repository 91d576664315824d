"""Odd and hostile input on reviews: no admin lookup filters by an item's author or a voter,
however it is spelt; digits that are not numbers, and a quarter not named by its first
day, are refused with a message."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pipeline.reviews import selectors, services
from pipeline.reviews.forms import ReviewForm
from tests.hostile import fuzz
from tests.pipeline.reviews.helpers import act

pytestmark = pytest.mark.django_db


# Every spelling Django's admin accepts for a filter that ends on Item.author, from each
# admin that reaches items: the item's own columns, attnames, transforms and lookups, and
# paths through groups, the review and an action's source item. `{me}` is the author's id,
# `{name}` their username.
AUTHOR_LOOKUPS = {
    "reviews_item": [
        "author={me}",
        "author_id={me}",
        "author__id={me}",
        "author__pk={me}",
        "author__exact={me}",
        "author_id__exact={me}",
        "author__id__exact={me}",
        "author__in={me},{other}",
        "author_id__in={me},{other}",
        "author__isnull=false",
        "author_id__isnull=true",
        "author__gt={before}",
        "author_id__lt={after}",
        "author__gte={me}",
        "author__lte={me}",
        "author_id__range={me},{me}",
        "author__username={name}",
        "author__username__startswith={name}",
        "author__first_name__icontains=rita",
        "author__email__endswith=example.test",
        "group__items__author={me}",
        "group__items__author_id__in={me}",
        "review__items__author__username={name}",
        "vote__voter={me}",
        "vote__voter_id={me}",
        "_popup=1&_to_field=author",
        "_popup=1&_to_field=author_id",
    ],
    "reviews_review": [
        "items__author={me}",
        "items__author_id={me}",
        "items__author__id__exact={me}",
        "items__author_id__in={me}",
        "items__author__isnull=true",
        "items__author__username__startswith={name}",
        "groups__items__author_id={me}",
        "votes__voter={me}",
        "votes__voter_id__in={me}",
    ],
    "reviews_action": [
        "source_item__author={me}",
        "source_item__author_id={me}",
        "source_group__items__author__pk={me}",
        "review__items__author_id={me}",
    ],
    "reviews_phasechange": ["review__items__author_id={me}", "review__votes__voter={me}"],
}


@pytest.fixture
def written_review(rep, teammate, sales_ops):
    """An anonymous review with an item by each of two people, grouped and voted on, and
    an action made from one of them."""
    from datetime import date

    from pipeline.reviews.demo import run_review
    from pipeline.reviews.models import Action, Item

    review = run_review(
        facilitator=sales_ops,
        title="Quarter review",
        written=[(rep, "delta", "Rita's secret delta"), (teammate, "delta", "Theo's delta")],
        groups={"Slow": ["Rita's secret delta", "Theo's delta"]},
        votes=[(rep, "Slow")],
    )
    Action.objects.create(
        review=review,
        text="Act on it",
        owner=teammate,
        due_on=date(2030, 1, 1),
        source_item=Item.objects.get(text="Rita's secret delta"),
        source_group=review.groups.get(),
    )
    return review


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(role="admin", is_staff=True, is_superuser=True, username="root")


@pytest.mark.parametrize(
    ("admin_page", "lookup"),
    [(page, lookup) for page, lookups in AUTHOR_LOOKUPS.items() for lookup in lookups],
)
def test_no_admin_lookup_filters_by_an_items_author_or_a_voter(
    client, superuser, rep, teammate, written_review, admin_page, lookup
):
    client.force_login(superuser)
    query = lookup.format(
        me=rep.pk,
        other=superuser.pk,
        before=rep.pk - 1,
        after=rep.pk + 1,
        name=rep.username,
    )
    response = client.get(reverse(f"admin:{admin_page}_changelist") + "?" + query)
    assert response.status_code == 400, query
    assert "Rita's secret delta" not in response.content.decode()


def test_the_admin_still_filters_items_by_what_they_are(client, superuser, written_review):
    client.force_login(superuser)
    url = reverse("admin:reviews_item_changelist")
    response = client.get(url, {"kind": "delta", "group": written_review.groups.get().pk})
    assert response.status_code == 200
    assert "Rita&#x27;s secret delta" in response.content.decode()


@fuzz
@given(
    path=st.lists(
        st.sampled_from(
            [
                *("author", "author_id", "id", "pk", "group", "items", "review", "username"),
                *("voter", "vote", "votes", "exact", "in", "isnull", "startswith", "text"),
            ]
        ),
        min_size=1,
        max_size=5,
    ).map("__".join),
    admin_page=st.sampled_from(sorted(AUTHOR_LOOKUPS)),
)
def test_no_admin_lookup_path_tells_one_authors_items_from_anothers(
    client, superuser, rep, teammate, written_review, path, admin_page
):
    """Whatever the path, asking with one author's id and then with another's never
    splits the items by who wrote them; and nothing answers 500."""
    from pipeline.reviews.models import Item, Review

    client.force_login(superuser)
    url = reverse(f"admin:{admin_page}_changelist")
    model = {"reviews_item": Item, "reviews_review": Review}.get(admin_page)
    shown = {}
    for person in (rep, teammate):
        value = person.username if path.endswith("username") else person.pk
        response = client.get(url, {path: value})
        assert response.status_code in {200, 302, 400}, path
        if response.status_code != 200 or model is None:
            continue
        shown[person] = {row.pk for row in response.context["cl"].result_list}
    # An item's own id could equal a person's by chance; that splits nothing by author.
    if model is Item and len(shown) == 2 and path.split("__")[0] not in {"id", "pk"}:
        mine = set(Item.objects.filter(author=rep).values_list("pk", flat=True))
        theirs = set(Item.objects.filter(author=teammate).values_list("pk", flat=True))
        assert (shown[rep], shown[teammate]) != (mine, theirs), path


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
