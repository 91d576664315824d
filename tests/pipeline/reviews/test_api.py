"""/api/v1/reviews/: the reviews a user may see (participants and those who run reviews; any
one else 404), each as its summary page shows it, and never who wrote an item: not in an
anonymous review, not in a named one, not anywhere in any answer."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from pipeline.reviews import services
from pipeline.reviews.demo import run_review
from pipeline.reviews.models import Item, Review
from tests.factories import UserFactory
from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db

DUE = date(2026, 12, 15)


@pytest.fixture
def authors(team):
    """Two participants who write every item, with names nobody else has."""
    return [
        UserFactory(
            role="rep",
            team=team,
            username="quillon",
            first_name="Zebedee",
            last_name="Quillfeather",
        ),
        UserFactory(
            role="rep",
            team=team,
            username="penwright",
            first_name="Ottoline",
            last_name="Penwright",
        ),
    ]


@pytest.fixture
def finished(ops, authors, rep):
    """A finished review whose items the authors wrote; rep takes part and owns the action."""

    def _run(title: str = "Q4 look back", anonymous: bool = True) -> Review:
        review = run_review(
            facilitator=ops,
            title=title,
            anonymous=anonymous,
            written=[
                (authors[0], "plus", "Patience paid off"),
                (authors[0], "delta", "SOE late again"),
                (authors[1], "delta", "Nobody agreed the pilot scope"),
            ],
            groups={"SOE late": ["SOE late again", "Nobody agreed the pilot scope"]},
            votes=[(authors[0], "SOE late"), (authors[1], "SOE late"), (rep, "SOE late")],
            actions=[
                {"text": "Send the SOE within a day", "owner": rep, "due_on": DUE},
            ],
        )
        return review

    return _run


def _everything(client, user) -> list[str]:
    """Every reviews answer this user can get, as text."""
    client.force_login(user)
    bodies = [client.get("/api/v1/reviews/").content.decode()]
    for review in Review.objects.all():
        for path in (f"/api/v1/reviews/{review.pk}/", f"/api/v1/reviews/{review.pk}/actions/"):
            bodies.append(client.get(path).content.decode())
    return bodies


def _people(value) -> list[dict]:
    """Every object in an answer that names a person (has a username)."""
    found = []
    if isinstance(value, dict):
        if "username" in value:
            found.append(value)
        for inner in value.values():
            found += _people(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _people(inner)
    return found


@pytest.mark.parametrize("anonymous", [True, False])
def test_no_item_author_appears_anywhere(client, ops, authors, rep, finished, anonymous):
    finished("Earlier look back", anonymous=anonymous)
    finished(anonymous=anonymous)  # the second follows up the first's actions
    for user in (ops, rep, *authors):
        for body in _everything(client, user):
            for author in authors:
                for word in (author.username, author.first_name, author.last_name):
                    assert word not in body, (user, word)
            assert '"author' not in body
            # Only the facilitator and action owners are people in an answer.
            named = {person["id"] for person in _people(json.loads(body))}
            assert named <= {ops.pk, rep.pk}, named
    # The action's owner is shown, as on the page.
    client.force_login(rep)
    review = Review.objects.get(title="Q4 look back")
    actions = client.get(f"/api/v1/reviews/{review.pk}/actions/").json()
    assert [action["owner"]["id"] for action in actions] == [rep.pk]


def test_an_author_who_owns_an_action_is_named_only_as_its_owner(client, ops, authors):
    review = run_review(
        facilitator=ops,
        title="Named",
        anonymous=False,
        written=[(authors[0], "delta", "Proposal silence")],
        actions=[{"text": "Call after a week", "owner": authors[0], "due_on": DUE}],
    )
    client.force_login(ops)
    body = client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert [person["id"] for person in _people(body)] == [ops.pk, authors[0].pk]
    assert body["actions"][0]["owner"]["username"] == authors[0].username
    assert set(body["deltas"][0]) == {"id", "kind", "text", "votes", "group"}


def test_the_summary_shows_what_the_summary_page_shows(client, ops, rep, finished):
    earlier = finished("Earlier look back")
    review = finished()
    client.force_login(rep)
    body = client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert body["phase"] == "summary"
    assert body["facilitator"]["id"] == ops.pk
    assert body["people"] == review.participants.count() == 4  # the facilitator takes part
    assert [item["text"] for item in body["plusses"]] == ["Patience paid off"]
    assert {item["text"] for item in body["deltas"]} == {
        "SOE late again",
        "Nobody agreed the pilot scope",
    }
    [group] = body["groups"]
    assert group["title"] == "SOE late"
    assert group["votes"] == 3
    assert sorted(group["items"]) == sorted(item["id"] for item in body["deltas"])
    assert group["recurs_in"] == ["Earlier look back"]
    [action] = body["actions"]
    assert action["text"] == "Send the SOE within a day"
    assert action["due_on"] == "2026-12-15"
    assert action["done"] is False
    assert body["previous"]["id"] == earlier.pk
    assert [a["text"] for a in body["previous"]["actions"]] == ["Send the SOE within a day"]


def test_items_not_yet_revealed_stay_hidden(client, ops, authors):
    review = services.review_create(actor=ops, title="Live", participants=authors)
    services.review_advance(actor=ops, review=review, seen=Review.Phase.SETUP)
    services.item_write(actor=authors[0], review=review, kind="plus", text="Hidden plus")
    services.item_write(actor=authors[1], review=review, kind="plus", text="Another plus")
    for user in (ops, *authors):
        client.force_login(user)
        body = client.get(f"/api/v1/reviews/{review.pk}/").json()
        # Not even an author's own item: the summary is the shared board, not their notes.
        assert body["plusses"] == []
        assert "Hidden plus" not in json.dumps(body)
    services.review_advance(actor=ops, review=review, seen=Review.Phase.WRITING)
    services.review_reveal_next(actor=ops, review=review, seen_revealed=0)
    shown = Item.objects.get(revealed_at__isnull=False)
    client.force_login(authors[0])
    body = client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert [item["text"] for item in body["plusses"]] == [shown.text]
    assert body["phase"] == "plusses"


def test_who_sees_which_review(client, ops, rep, teammate, manager, outsider, finished):
    review = finished()
    everyone = UserFactory(role="admin")
    for user in (ops, everyone, rep):
        client.force_login(user)
        assert client.get(f"/api/v1/reviews/{review.pk}/").status_code == 200
        listed = client.get("/api/v1/reviews/").json()["results"]
        assert review.pk in {item["id"] for item in listed}
    # Not taking part, not running reviews: a teammate, their manager, an outsider.
    for user in (teammate, manager, outsider):
        client.force_login(user)
        assert_problem(client.get(f"/api/v1/reviews/{review.pk}/"), 404)
        assert_problem(client.get(f"/api/v1/reviews/{review.pk}/actions/"), 404)
        assert client.get("/api/v1/reviews/").json()["results"] == []


@pytest.mark.parametrize("path", ["/api/v1/reviews/", "/api/v1/reviews/1/"])
def test_signed_out_gets_401_problem(client, path):
    assert_problem(client.get(path), 401)


def test_the_list_is_newest_first_and_read_only(client, ops, rep, finished):
    first, second = finished("First"), finished("Second")
    client.force_login(rep)
    listed = client.get("/api/v1/reviews/").json()["results"]
    assert [item["id"] for item in listed] == [second.pk, first.pk]
    assert listed[0]["looks_at"] == "The whole sales process"
    assert_problem(client.post("/api/v1/reviews/", {}, content_type="application/json"), 405)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_query_counts_are_pinned_and_flat(client, ops, rep, authors, django_assert_max_num_queries):
    def grow(times: int) -> Review:
        for n in range(times):
            review = run_review(
                facilitator=ops,
                title=f"Review {Review.objects.count()}",
                written=[
                    (author, kind, f"{kind} {n} by {index}")
                    for index, author in enumerate(authors)
                    for kind in ("plus", "delta")
                ],
                groups={f"Group {n}": [f"delta {n} by 0", f"delta {n} by 1"]},
                votes=[(rep, f"Group {n}")],
                actions=[
                    {"text": f"Act {n}", "owner": rep, "due_on": DUE + timedelta(days=n)},
                    {"text": f"Act {n}b", "owner": authors[0], "due_on": DUE},
                ],
            )
        return review

    client.force_login(rep)
    latest = grow(2)  # two, so that the summary has a previous review to follow up
    small = {
        "list": _queries(client, "/api/v1/reviews/"),
        "detail": _queries(client, f"/api/v1/reviews/{latest.pk}/"),
        "actions": _queries(client, f"/api/v1/reviews/{latest.pk}/actions/"),
    }
    latest = grow(6)
    large = {
        "list": _queries(client, "/api/v1/reviews/?page_size=60"),
        "detail": _queries(client, f"/api/v1/reviews/{latest.pk}/"),
        "actions": _queries(client, f"/api/v1/reviews/{latest.pk}/actions/"),
    }
    assert small == large, (small, large)
    # The session, the user, the page (facilitator joined in, people counted in SQL).
    assert small["list"] == 3


def _check(response) -> None:
    assert response.status_code in {200, 400, 404}, response.content[:300]
    if response.status_code != 200:
        assert response["Content-Type"] == PROBLEM


@fuzz
@given(params=st.dictionaries(st.sampled_from(["cursor", "page_size", "phase"]), hostile))
def test_hostile_query_strings_never_500(client, rep, params):
    client.force_login(rep)
    _check(client.get("/api/v1/reviews/", params))


@fuzz
@given(pk=hostile_ids)
@pytest.mark.parametrize("suffix", ["", "actions/"])
def test_hostile_ids_never_500(client, rep, suffix, pk):
    client.force_login(rep)
    _check(client.get(f"/api/v1/reviews/{quote(pk, safe='')}/{suffix}"))
