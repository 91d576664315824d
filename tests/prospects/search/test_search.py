"""Search: accounts, contacts and notes by the start of each word, on PostgreSQL's full-text
indexes, and only what the user may see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from prospects.models import Account, Contact, Conversation
from prospects.search import fulltext
from prospects.search.kinds import KINDS
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
    words = fulltext.terms("Brig")
    queries = {
        "account": fulltext.matching(Account.objects.all(), "account", words),
        "contact": fulltext.matching(Contact.objects.all(), "contact", words),
        "conversation": fulltext.matching(Conversation.objects.all(), "conversation", words),
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
    assert fulltext.terms("  Kestrel & (line) | stops:* !") == ["kestrel", "line", "stops"]
    assert fulltext.terms("'; DROP TABLE --") == ["drop", "table"]
    assert fulltext.terms("") == []


@pytest.mark.parametrize("size", [1, 40])
def test_search_query_count_is_constant(client, rep, size, log, django_assert_max_num_queries):
    for n in range(size):
        account = AccountFactory(owner=rep, name=f"Brigid {n}")
        ContactFactory(account=account, name=f"Brigid Contact {n}")
        log(account, notes="Brigid notes")
    client.force_login(rep)
    # Session, user and the navigation's unread count, then at most two queries per named
    # kind and three per long-text kind (prospects.search.selectors: _named, _newest),
    # however many rows match.
    # +1 for the planner settings of the search's transaction (+2 for its savepoint here).
    most = 3 + 3 + sum(2 if kind.name else 3 for kind in KINDS.registered)
    with django_assert_max_num_queries(most):
        assert client.get(reverse("prospects:search"), {"q": "brigid"}).status_code == 200
    assert len(KINDS.registered) == 7


def test_search_matches_every_word_in_any_field(rep, account, contact, log):
    """Every word must match, each in any of the model's search fields."""
    log(account, notes="Budget freeze until spring")
    assert list(fulltext.matching(Account.objects.all(), "account", ["brigid"])) == [account]
    assert list(fulltext.matching(Contact.objects.all(), "contact", ["helen", "operations"])) == [
        contact
    ]
    found = fulltext.matching(Conversation.objects.all(), "conversation", ["budget", "spring"])
    assert found.count() == 1
    assert not fulltext.matching(
        Conversation.objects.all(), "conversation", ["budget", "autumn"]
    ).exists()
