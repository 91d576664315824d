"""Search over everything: every kind (prospects' and pipeline's, registered in the apps'
ready()) is found, only where its page would open for the user, with a pinned number of
queries, through the indexes built from the query's own expressions."""

from __future__ import annotations

import pytest
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connection
from django.db.models import F, Value
from django.urls import reverse
from django.utils import timezone

from pipeline.followups import services as followup_services
from pipeline.soe import services as soe_services
from prospects import services as prospect_services
from prospects.search import selectors
from prospects.search.fulltext import document, prefix_query
from prospects.search.kinds import KINDS
from tests.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

ALL_KINDS = ["accounts", "contacts", "deals", "why", "conversations", "steps", "followups"]


def plant(owner, open_deal, word: str, n: int = 0) -> None:
    """One of each kind, owned by `owner`, each holding `word`."""
    account = AccountFactory(owner=owner, name=f"{word} Components {n}")
    ContactFactory(account=account, name=f"Ada {word}son {n}")
    prospect_services.why_record(
        actor=owner,
        account=account,
        text=f"The {word} line stopped twice this winter",
        said_on=timezone.localdate(),
    )
    prospect_services.conversation_log(
        actor=owner,
        account=account,
        occurred_at=timezone.now(),
        channel="call",
        kind="qualifying",
        notes=f"Asked about the {word} backlog",
    )
    deal = open_deal(owner, account=account, name=f"{word} rollout {n}")
    sequence = soe_services.soe_start(actor=owner, opportunity=deal)
    soe_services.soe_step_add(actor=owner, sequence=sequence, text=f"{word} board review")
    followup_services.followup_create(
        actor=owner, account=account, purpose=f"Confirm the {word} pilot dates"
    )


def found_kinds(user, text: str) -> dict[str, int]:
    results = selectors.search(user=user, text=text)
    return {group.kind.key: len(group.hits) for group in results.groups if group.hits}


def test_every_kind_is_registered_and_found(rep, open_deal):
    assert [kind.key for kind in KINDS.registered] == [
        "accounts",
        "contacts",
        "deals",
        "why",
        "conversations",
        "steps",
        "followups",
    ]
    plant(rep, open_deal, "Kestrel")
    assert found_kinds(rep, "kestrel") == dict.fromkeys(ALL_KINDS, 1)


@pytest.mark.parametrize("viewer", ["rep", "teammate", "manager", "outsider"])
def test_search_shows_only_what_the_viewer_may_open(
    client, request, viewer, rep, outsider, open_deal
):
    """The owner, a teammate and the team's manager find every kind of the rep's; an
    outsider finds none of it (only their own), and each hit's page opens for whoever
    found it."""
    plant(rep, open_deal, "Kestrel")
    plant(outsider, open_deal, "Kestrel", n=1)
    user = request.getfixturevalue(viewer)
    results = selectors.search(user=user, text="kestrel")
    mine = {"rep": rep, "teammate": rep, "manager": rep, "outsider": outsider}[viewer]
    for group in results.groups:
        assert len(group.hits) == 1, group.kind.key
        (hit,) = group.hits
        owner = getattr(hit.object, "owner", None) or _account_of(hit.object).owner
        assert owner == mine, (group.kind.key, owner)
    client.force_login(user)
    for group in results.groups:
        for hit in group.hits:
            assert client.get(hit.shown.url).status_code == 200, hit.shown.url
    # The other side's hits answer 404 to this viewer.
    other = outsider if mine == rep else rep
    for group in selectors.search(user=other, text="kestrel").groups:
        for hit in group.hits:
            assert client.get(hit.shown.url).status_code == 404, hit.shown.url


def _account_of(obj):
    if hasattr(obj, "account"):
        return obj.account
    return obj.sequence.opportunity.account


def test_sales_ops_finds_every_teams(rep, outsider, open_deal):
    plant(rep, open_deal, "Kestrel")
    plant(outsider, open_deal, "Kestrel", n=1)
    ops = UserFactory(role="sales_ops")
    assert found_kinds(ops, "kestrel") == dict.fromkeys(ALL_KINDS, 2)


@pytest.mark.parametrize("size", [1, 12])
def test_search_queries_do_not_grow_with_the_rows(
    client, rep, open_deal, size, django_assert_max_num_queries
):
    for n in range(size):
        plant(rep, open_deal, "Kestrel", n=n)
    client.force_login(rep)
    # +1 for the planner settings of the search's transaction (+2 for its savepoint here).
    most = 3 + 3 + sum(2 if kind.name else 3 for kind in KINDS.registered)
    with django_assert_max_num_queries(most):
        html = client.get(reverse("prospects:search"), {"q": "kestrel"}).content.decode()
    assert html.count("<mark>") >= 7 * min(size, selectors.PAGE_SIZE)
    if size > selectors.PAGE_SIZE:
        assert "More deals…" in html
        assert "More SOE steps…" in html


def test_misspelt_deal_name_is_found(rep, open_deal):
    plant(rep, open_deal, "Kestrel")
    deals = selectors.search(user=rep, text="kestrl rollout").found("deals")
    assert [deal.name for deal in deals] == ["Kestrel rollout 0"]


def test_every_kind_searches_through_its_full_text_index(rep, open_deal):
    """Each kind's query and its GIN index share one expression, so the planner can use it
    (with scans made dear: on a few rows they would be cheaper)."""
    plant(rep, open_deal, "Kestrel")
    indexes = {
        "accounts": "prospects_account_fts",
        "contacts": "prospects_contact_fts",
        "why": "prospects_whynote_fts",
        "conversations": "prospects_conversation_fts",
        "deals": "pipeline_deal_fts",
        "steps": "pipeline_soestep_fts",
        "followups": "pipeline_followup_fts",
    }
    trigram = {
        "accounts": "account_name_trgm",
        "contacts": "contact_name_trgm",
        "deals": "deal_name_trgm",
    }
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        try:
            for kind in KINDS.registered:
                model = kind.visible(rep).model
                query = model.objects.alias(search=document(kind.fields)).filter(
                    search=prefix_query(["kestrel"])
                )
                assert indexes[kind.key] in query.explain(), kind.key
                if kind.name:
                    alike = model.objects.filter(TrigramWordSimilar(F(kind.name), Value("kestrl")))
                    assert trigram[kind.key] in alike.explain(), kind.key
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")
