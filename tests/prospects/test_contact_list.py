"""The contact list (/contacts/): whom it shows whom, its filters and sorts, keyset pages,
saved views and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from prospects import services
from prospects.lists import CONTACTS
from prospects.models import Contact
from salesflow.core.lists.models import SavedView
from salesflow.core.lists.selectors import list_page, list_state
from tests.factories import AccountFactory, ContactFactory, SegmentFactory
from tests.hostile import OK, fuzz, hostile, ids

pytestmark = pytest.mark.django_db

URL = "/contacts/"
CSV = "/contacts/view.csv"


def names(response) -> list[str]:
    return [row.name for row in response.context["table"].rows]


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def talk(rep, contact, days_ago):
    return services.conversation_log(
        actor=rep,
        account=contact.account,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        channel="call",
        kind="other",
        notes="x",
        contacts=[contact],
    )


@pytest.fixture
def people(rep, teammate, outsider):
    """A contact on the rep's account, one on a teammate's, one on another team's."""
    mine = AccountFactory(owner=rep, name="Alder Clinic")
    theirs = AccountFactory(owner=teammate, name="Birch School")
    elsewhere = AccountFactory(owner=outsider, name="Cedar Ltd")
    return {
        "ann": ContactFactory(account=mine, name="Ann Archer", email="ann@alder.example"),
        "bob": ContactFactory(account=theirs, name="Bob Brook", email="", buying_role="user"),
        "cy": ContactFactory(account=elsewhere, name="Cy Cole", email="cy@cedar.example"),
    }


def test_the_page_is_in_the_navigation_and_needs_sign_in(client, rep):
    assert reverse("prospects:contact_list") == URL
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    client.force_login(rep)
    assert f'href="{URL}"' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("rep", ["Ann Archer", "Bob Brook"]),
        ("teammate", ["Ann Archer", "Bob Brook"]),
        ("manager", ["Ann Archer", "Bob Brook"]),
        ("outsider", ["Cy Cole"]),
    ],
)
def test_each_person_sees_the_contacts_of_the_accounts_they_may_see(
    client, request, people, who, seen
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == seen
    # The CSV holds the same rows, never more.
    rows = read_csv(client.get(CSV))
    assert [row[0] for row in rows[1:]] == seen


def test_columns_show_account_title_role_email_phone_and_last_conversation(client, rep, people):
    ann = people["ann"]
    ann.title, ann.phone, ann.buying_role = "Head nurse", "+44 20 7946 0000", "champion"
    ann.save()
    talk(rep, ann, days_ago=3)
    client.force_login(rep)
    html = client.get(URL).content.decode()
    for text in ("Alder Clinic", "Head nurse", "Champion", "ann@alder.example", "+44 20 7946 0000"):
        assert text in html
    day = timezone.localdate(timezone.now() - timedelta(days=3))
    assert f"{day.day} {day:%b %Y}" in html
    assert reverse("prospects:contact_detail", args=[ann.pk]) in html
    assert reverse("prospects:account_detail", args=[ann.account_id]) in html


def test_filters(client, rep, people):
    ann, bob = people["ann"], people["bob"]
    # A segment of its own: the factories' accounts get one of a few shared segments.
    schools = SegmentFactory(name="Boarding schools, north")
    bob.account.segment = schools
    bob.account.save()
    talk(rep, ann, days_ago=40)
    client.force_login(rep)
    assert names(client.get(URL, {"owner": rep.pk})) == ["Ann Archer"]
    assert names(client.get(URL, {"segment": schools.pk})) == ["Bob Brook"]
    assert names(client.get(URL, {"buying_role": "user"})) == ["Bob Brook"]
    assert names(client.get(URL, {"has_email": "yes"})) == ["Ann Archer"]
    assert names(client.get(URL, {"has_email": "no"})) == ["Bob Brook"]
    month_ago = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert names(client.get(URL, {"spoke_to": month_ago})) == ["Ann Archer"]
    assert names(client.get(URL, {"spoke_from": month_ago})) == []
    assert names(client.get(URL, {"q": "arch"})) == ["Ann Archer"]
    assert names(client.get(URL, {"q": "alder.example"})) == ["Ann Archer"]
    # The owner filter offers only the people the user can see.
    response = client.get(URL, {"owner": people["cy"].account.owner_id})
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors


def test_sorting_on_every_sortable_column_both_ways(client, rep, people):
    talk(rep, people["ann"], days_ago=2)
    client.force_login(rep)
    for column in CONTACTS.all_columns():
        if column.sort is None:
            continue
        for sort in (column.key, f"-{column.key}"):
            response = client.get(URL, {"sort": sort})
            assert response.status_code == 200, sort
            assert sorted(names(response)) == ["Ann Archer", "Bob Brook"]
    # Latest conversation first; never spoken to comes last either way.
    assert names(client.get(URL, {"sort": "-last_conversation"})) == ["Ann Archer", "Bob Brook"]
    assert names(client.get(URL, {"sort": "last_conversation"})) == ["Ann Archer", "Bob Brook"]
    assert names(client.get(URL, {"sort": "-name"})) == ["Bob Brook", "Ann Archer"]


@pytest.mark.parametrize("sort", ["name", "-last_conversation", "account"])
def test_keyset_pages_neither_repeat_nor_drop_a_row_when_contacts_are_added(rep, sort):
    account = AccountFactory(owner=rep, name="Alder Clinic")
    people = [ContactFactory(account=account, name=f"P{i:02}") for i in range(7)]
    for days, person in enumerate(people):
        talk(rep, person, days_ago=days + 1)
    CONTACTS.per_page = 3
    try:
        query = QueryDict(f"sort={sort}", mutable=True)
        first = list_page(list_state(CONTACTS, user=rep, query=query))
        seen = [c.pk for c in first.rows]
        # Added between two loads: before and after where the next page starts.
        talk(rep, ContactFactory(account=account, name="A new one"), days_ago=0)
        ContactFactory(account=account, name="Zed new")
        while first.has_more:
            query["after"] = first.next_token
            first = list_page(list_state(CONTACTS, user=rep, query=query))
            seen += [c.pk for c in first.rows]
        assert len(seen) == len(set(seen))
        assert {p.pk for p in people} <= set(seen)
    finally:
        CONTACTS.per_page = 50


def test_load_more_answers_htmx_with_rows(client, rep):
    account = AccountFactory(owner=rep)
    ContactFactory.create_batch(3, account=account)
    CONTACTS.per_page = 2
    try:
        client.force_login(rep)
        first = client.get(URL)
        token = first.context["table"].next_token
        more = client.get(URL, {"sort": "name", "after": token}, HTTP_HX_REQUEST="true")
        assert more.status_code == 200
        assert more.content.decode().count("<tr") == 1
        assert "<html" not in more.content.decode()
    finally:
        CONTACTS.per_page = 50


def test_csv_is_the_view_as_shown_and_defused(client, rep):
    account = AccountFactory(owner=rep, name="Alder Clinic")
    ContactFactory(account=account, name="=HYPERLINK(1)", email="a@x.example")
    ContactFactory(account=account, name="Plain", email="")
    client.force_login(rep)
    response = client.get(CSV, {"has_email": "yes", "cols": "name,email"})
    assert response["Content-Disposition"] == 'attachment; filename="contacts.csv"'
    assert read_csv(response) == [["Contact", "Email"], ["'=HYPERLINK(1)", "a@x.example"]]


def test_a_saved_view_keeps_the_filters_and_columns(client, rep, teammate, outsider, people):
    client.force_login(rep)
    response = client.post(
        reverse("lists:view_create", args=["contacts"]),
        {
            "name": "Without email",
            "query": "has_email=no&sort=-name",
            "columns": "name,account",
            "share": "on",
        },
    )
    assert response.status_code == 302
    view = SavedView.objects.get(list_key="contacts")
    opened = client.get(response["Location"])
    assert names(opened) == ["Bob Brook"]
    assert [c.key for c in opened.context["table"].state.columns] == ["name", "account"]
    # Shared with the team: a teammate opens it, an outsider gets 404.
    client.force_login(teammate)
    assert client.get(reverse("lists:view_open", args=[view.pk])).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("lists:view_open", args=[view.pk])).status_code == 404


def test_an_erased_contact_is_listed_as_its_placeholder(client, rep, people):
    from prospects.privacy.services import contact_erase
    from tests.factories import UserFactory

    ann = people["ann"]
    contact_erase(actor=UserFactory(role="sales_ops"), contact=ann, confirmation=ann.name)
    client.force_login(rep)
    html = client.get(URL).content.decode()
    assert "Ann Archer" not in html
    assert "ann@alder.example" not in html
    assert Contact.objects.get(pk=ann.pk).name in html


@pytest.mark.parametrize("size", [2, 40])
def test_query_count_does_not_grow_with_the_rows(client, rep, size, django_assert_num_queries):
    for n in range(size):
        account = AccountFactory(owner=rep, name=f"Account {n}")
        ContactFactory(account=account)
    client.force_login(rep)
    client.get(URL)
    # The page's keys and its rows are two queries whatever their number; the rest (session,
    # user, badge, filter choices, saved views, columns) does not depend on them either.
    with django_assert_num_queries(QUERIES):
        response = client.get(URL)
    assert len(response.context["table"].rows) == size


QUERIES = 11


@fuzz
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "owner",
                "segment",
                "buying_role",
                "has_email",
                "spoke_from",
                "spoke_to",
                "sort",
                "after",
                "cols",
                "view",
            ]
        ),
        ids,
        max_size=6,
    ),
    htmx=st.booleans(),
)
def test_hostile_addresses_never_fail(client, rep, params, htmx):
    client.force_login(rep)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    assert client.get(URL, params, **extra).status_code in OK
    response = client.get(CSV, params)
    assert response.status_code in OK
    b"".join(response.streaming_content)


@fuzz
@given(text=hostile)
def test_hostile_search_text(client, rep, text):
    client.force_login(rep)
    assert client.get(URL, {"q": text}).status_code in OK
