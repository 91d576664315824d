"""Search, quick-log and CSV export: what they find, and only what the user may see."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospects import search
from prospects.models import Account, Contact, Conversation
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(rep, account, contact, other_account, log):
    log(
        account,
        notes="Budget freeze until the spring board meeting",
        emotion_found="Anxious about winter",
    )
    ContactFactory(account=other_account, name="Helen Elsewhere")
    AccountFactory(owner=other_account.owner, name="St Brigid Outside")


def test_search_finds_accounts_contacts_and_notes_by_word_prefix(client, rep, account, found):
    client.force_login(rep)
    results = client.get(reverse("prospects:search"), {"q": "brig"}).context["results"]
    assert results.accounts == [account]
    results = client.get(reverse("prospects:search"), {"q": "helen"}).context["results"]
    assert [c.name for c in results.contacts] == ["Helen Shaw"]
    results = client.get(reverse("prospects:search"), {"q": "board budget"}).context["results"]
    assert [c.account for c in results.conversations] == [account]
    assert client.get(reverse("prospects:search"), {"q": "winter"}).context["results"].conversations


def test_search_never_shows_another_teams_data(client, outsider, account, found):
    client.force_login(outsider)
    results = client.get(reverse("prospects:search"), {"q": "brig"}).context["results"]
    assert [a.name for a in results.accounts] == ["St Brigid Outside"]
    results = client.get(reverse("prospects:search"), {"q": "helen budget"}).context["results"]
    assert results.empty


def test_search_uses_postgres_full_text_indexes(rep, found):
    words = search.terms("Brig")
    queries = {
        "account": search.matching(Account.objects.all(), "account", words),
        "contact": search.matching(Contact.objects.all(), "contact", words),
        "conversation": search.matching(Conversation.objects.all(), "conversation", words),
    }
    with connection.cursor() as cursor:
        # On a few rows a scan is cheaper: leave the planner only the indexes' bitmap scans
        # (a plain index scan of another index, in its order, filtering each row, is a scan).
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        for model_name, queryset in queries.items():
            plan = queryset.explain()
            assert f"prospects_{model_name}_fts" in plan, plan
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")


def test_search_terms_drop_operators_and_punctuation():
    assert search.terms("  Kestrel & (line) | stops:* !") == ["kestrel", "line", "stops"]
    assert search.terms("'; DROP TABLE --") == ["drop", "table"]
    assert search.terms("") == []


def test_quick_log_lists_only_accounts_the_user_may_log_on(client, rep, teammate, account):
    theirs = AccountFactory(owner=teammate, name="St Brigid Annex")
    client.force_login(rep)
    accounts = client.get(reverse("prospects:quick_log"), {"q": "brigid"}).context["accounts"]
    assert accounts == [account]
    assert theirs not in accounts
    html = client.get(
        reverse("prospects:quick_log"), {"q": "brig"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert reverse("prospects:conversation_create", args=[account.pk]) in html
    assert "<html" not in html  # only the results fragment


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_follows_the_filters_and_visibility(client, rep, teammate, account, other_account):
    AccountFactory(owner=teammate, name="Teammate Trust", status="customer")
    client.force_login(rep)
    rows = read_csv(client.get(reverse("prospects:account_export")))
    assert rows[0][:2] == ["account_name", "website"]
    assert sorted(row[0] for row in rows[1:]) == ["St Brigid's Hospital", "Teammate Trust"]
    rows = read_csv(client.get(reverse("prospects:account_export"), {"status": "customer"}))
    assert [row[0] for row in rows[1:]] == ["Teammate Trust"]


def test_export_defuses_spreadsheet_formulas(client, rep):
    AccountFactory(owner=rep, name='=HYPERLINK("http://x")')
    client.force_login(rep)
    rows = read_csv(client.get(reverse("prospects:account_export")))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][1] == ""  # an empty cell stays empty


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.one_of(
        st.text(max_size=300), st.sampled_from(["\x00", "a:*|b", "!!!", "' OR 1=1", "x" * 5000])
    )
)
def test_search_quick_log_and_export_take_any_text(client, rep, account, q):
    client.force_login(rep)
    assert client.get(reverse("prospects:search"), {"q": q}).status_code == 200
    assert client.get(reverse("prospects:quick_log"), {"q": q}).status_code == 200
    response = client.get(reverse("prospects:account_export"), {"q": q, "segment": q})
    assert response.status_code == 200
    read_csv(response)


@pytest.mark.parametrize("size", [1, 40])
def test_search_query_count_is_constant(client, rep, size, log, django_assert_max_num_queries):
    for n in range(size):
        account = AccountFactory(owner=rep, name=f"Brigid {n}")
        ContactFactory(account=account, name=f"Brigid Contact {n}")
        log(account, notes="Brigid notes")
    client.force_login(rep)
    # +1 since the navigation shows the unread notification count.
    with django_assert_max_num_queries(6):
        assert client.get(reverse("prospects:search"), {"q": "brigid"}).status_code == 200


def test_search_matches_every_word_in_any_field(rep, account, contact, log):
    """Every word must match, each in any of the model's search fields."""
    log(account, notes="Budget freeze until spring")
    assert list(search.matching(Account.objects.all(), "account", ["brigid"])) == [account]
    assert list(search.matching(Contact.objects.all(), "contact", ["helen", "operations"])) == [
        contact
    ]
    found = search.matching(Conversation.objects.all(), "conversation", ["budget", "spring"])
    assert found.count() == 1
    assert not search.matching(
        Conversation.objects.all(), "conversation", ["budget", "autumn"]
    ).exists()
