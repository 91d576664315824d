"""/api/v1/notifications/: a user's own notifications only, newest first, the unread filter,
marking one or all read through the services the notifications page uses, and never a 500."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from salesflow.core.models import Notification
from tests.factories import UserFactory
from tests.hostile import fuzz, hostile
from tests.hostile import ids as hostile_ids
from tests.prospects.api.conftest import PROBLEM, assert_problem

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"


def note(user, title: str = "Deal X is stuck", **fields) -> Notification:
    return Notification.objects.create(user=user, kind="stuck_deal", title=title, **fields)


@pytest.fixture
def sales_ops(db):
    return UserFactory(role="sales_ops", first_name="Sam")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", LIST), ("get", LIST + "1/"), ("post", LIST + "1/read/"), ("post", LIST + "read-all/")],
)
def test_signed_out_gets_401_problem(client, method, path):
    assert_problem(getattr(client, method)(path), 401)


def test_each_user_sees_only_their_own_and_anyone_elses_is_404(
    client, rep, teammate, manager, sales_ops, outsider
):
    mine = note(rep, "Rita's stuck deal")
    for user in (teammate, manager, sales_ops, outsider):
        client.force_login(user)
        assert ids(client.get(LIST)) == []
        assert_problem(client.get(f"{LIST}{mine.pk}/"), 404)
        assert_problem(client.post(f"{LIST}{mine.pk}/read/"), 404)
        assert client.post(f"{LIST}read-all/").json() == {"marked": 0}
    mine.refresh_from_db()
    assert mine.read_at is None  # nobody else's request marked it read
    client.force_login(rep)
    assert ids(client.get(LIST)) == [mine.pk]
    body = client.get(f"{LIST}{mine.pk}/").json()
    assert body["title"] == "Rita's stuck deal"
    assert body["read"] is False
    assert body["read_at"] is None
    assert body["email_failed"] is False


def test_newest_first_and_the_unread_filter(client, rep):
    old = note(rep, "old", read_at=timezone.now())
    new = note(rep, "new")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    client.force_login(rep)
    assert ids(client.get(LIST)) == [new.pk, old.pk]
    assert ids(client.get(LIST, {"unread": "true"})) == [new.pk]
    assert ids(client.get(LIST, {"unread": "false"})) == [old.pk]
    body = assert_problem(client.get(LIST, {"unread": "maybe"}), 400)
    assert "unread" in body["errors"]


def test_reading_the_list_marks_nothing_read(client, rep):
    note(rep)
    client.force_login(rep)
    client.get(LIST)
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_mark_one_read_keeps_the_first_read_time(client, rep):
    first, second = note(rep, "one"), note(rep, "two")
    client.force_login(rep)
    body = client.post(f"{LIST}{first.pk}/read/").json()
    assert body["read"] is True
    read_at = body["read_at"]
    assert client.post(f"{LIST}{first.pk}/read/").json()["read_at"] == read_at
    second.refresh_from_db()
    assert second.read_at is None  # only the one asked for
    assert ids(client.get(LIST, {"unread": "true"})) == [second.pk]


def test_read_all_marks_every_unread_one_of_the_user_only(client, rep, teammate):
    note(rep, "one"), note(rep, "two"), note(rep, "three", read_at=timezone.now())
    theirs = note(teammate)
    client.force_login(rep)
    assert client.post(f"{LIST}read-all/").json() == {"marked": 2}
    assert not Notification.objects.filter(user=rep, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post(f"{LIST}read-all/").json() == {"marked": 0}


def test_the_cursor_holds_still_while_new_notifications_arrive(client, rep):
    made = [note(rep, f"n{n}") for n in range(5)]
    client.force_login(rep)
    first = client.get(LIST, {"page_size": 2}).json()
    assert [item["id"] for item in first["results"]] == [made[4].pk, made[3].pk]
    note(rep, "arrived meanwhile")  # at the front: never read twice, never skipped over
    seen = [item["id"] for item in first["results"]]
    page = client.get(first["next"]).json()
    while True:
        seen += [item["id"] for item in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert seen == [n.pk for n in reversed(made)]


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_query_count_is_pinned_and_flat(client, rep, django_assert_max_num_queries):
    client.force_login(rep)
    for n in range(3):
        note(rep, f"n{n}")
    small = _queries(client, LIST)
    for n in range(60):
        note(rep, f"m{n}")
    with django_assert_max_num_queries(small):
        large = _queries(client, LIST + "?page_size=60")
    assert small == large
    # The session, the user, the page (whether its email failed is a subquery): none per row.
    assert small == 3


def _check(response) -> None:
    assert response.status_code in {200, 400, 404}, response.content[:300]
    if response.status_code != 200:
        assert response["Content-Type"] == PROBLEM


@fuzz
@given(params=st.dictionaries(st.sampled_from(["unread", "cursor", "page_size"]), hostile))
def test_hostile_query_strings_never_500(client, rep, params):
    note(rep)
    client.force_login(rep)
    _check(client.get(LIST, params))


@fuzz
@given(pk=hostile_ids)
def test_hostile_ids_never_500(client, rep, pk):
    client.force_login(rep)
    for method, suffix in (("get", ""), ("post", "read/")):
        _check(getattr(client, method)(f"{LIST}{quote(pk, safe='')}/{suffix}"))


def test_a_token_reads_its_owners_notifications(client, rep):
    from salesflow.core.apitokens.services import apitoken_create

    note(rep)
    note(UserFactory(role="rep"))
    _, secret = apitoken_create(actor=rep, name="script")
    response = client.get(LIST, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"[]", b'"x"', b"null", b'{"read": false}'])
def test_a_body_sent_to_mark_read_is_ignored_never_a_500(client, rep, body):
    """Marking read takes no body: whatever is sent, the answer is the marking's."""
    mine = note(rep)
    client.force_login(rep)
    response = client.post(f"{LIST}{mine.pk}/read/", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["read"] is True
    response = client.post(f"{LIST}read-all/", body, content_type="application/json")
    assert response.json() == {"marked": 0}
