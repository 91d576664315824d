"""The lists: filters like the pages', keyset pages that hold still while rows are added,
updated_since for incremental syncs, and a query count that does not grow with the page."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from prospects.models import Account, Contact, LeadSource
from tests.factories import AccountFactory, ContactFactory, SegmentFactory, TeamFactory, UserFactory
from tests.prospects.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [item["id"] for item in response.json()["results"]]


def test_account_filters_match_the_pages(client, rep, teammate, sales_ops):
    hospitals = SegmentFactory(name="Hospitals")
    schools = SegmentFactory(name="Schools")
    referral = LeadSource.objects.create(name="Referral")
    a = AccountFactory(owner=rep, segment=hospitals, lead_source=referral)
    b = AccountFactory(owner=teammate, segment=schools, status=Account.Status.CUSTOMER)
    other_team = UserFactory(role="rep", team=TeamFactory())
    c = AccountFactory(owner=other_team, segment=hospitals)
    client.force_login(sales_ops)
    path = "/api/v1/accounts/"
    assert set(ids(client.get(path, {"owner": rep.pk}))) == {a.pk}
    assert set(ids(client.get(path, {"team": rep.team_id}))) == {a.pk, b.pk}
    assert set(ids(client.get(path, {"segment": hospitals.pk}))) == {a.pk, c.pk}
    assert set(ids(client.get(path, {"lead_source": referral.pk}))) == {a.pk}
    assert set(ids(client.get(path, {"status": "customer"}))) == {b.pk}
    assert set(ids(client.get(path, {"team": rep.team_id, "segment": hospitals.pk}))) == {a.pk}
    # A filter never widens what the user sees.
    client.force_login(rep)
    assert ids(client.get(path, {"team": other_team.team_id})) == []
    assert ids(client.get(path, {"owner": other_team.pk})) == []


def test_contact_filters(client, rep, teammate, account):
    theirs = AccountFactory(owner=teammate)
    champion = ContactFactory(account=account, buying_role=Contact.BuyingRole.CHAMPION)
    blocker = ContactFactory(account=theirs, buying_role=Contact.BuyingRole.BLOCKER)
    client.force_login(rep)
    path = "/api/v1/contacts/"
    assert ids(client.get(path)) == [champion.pk, blocker.pk]  # oldest change first
    assert ids(client.get(path, {"account": theirs.pk})) == [blocker.pk]
    assert ids(client.get(path, {"owner": rep.pk})) == [champion.pk]
    assert ids(client.get(path, {"team": rep.team_id})) == [champion.pk, blocker.pk]
    assert ids(client.get(path, {"buying_role": "blocker"})) == [blocker.pk]


def test_updated_since_reads_only_what_changed(client, rep):
    old = AccountFactory(owner=rep)
    Account.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = timezone.now() - timedelta(days=1)
    fresh = AccountFactory(owner=rep)
    client.force_login(rep)
    stamp = since.isoformat()
    assert ids(client.get("/api/v1/accounts/", {"updated_since": stamp})) == [fresh.pk]
    # "Z" and an explicit offset name the same moment.
    zulu = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert ids(client.get("/api/v1/accounts/", {"updated_since": zulu})) == [fresh.pk]
    old.name = "Renamed"
    old.save()
    assert ids(client.get("/api/v1/accounts/", {"updated_since": stamp})) == [fresh.pk, old.pk]


def test_contacts_updated_since_sees_edits_merges_and_erasures(client, rep, sales_ops):
    """A sync reading contacts by updated_since sees every way a contact changes: an edit,
    its account merged into another (it moves), its person erased."""
    from prospects.merge.services import account_merge
    from prospects.privacy.services import contact_erase
    from prospects.services import contact_save

    survivor, twin = AccountFactory(owner=rep), AccountFactory(owner=rep)
    edited, moved, erased, untouched = (
        ContactFactory(account=survivor),
        ContactFactory(account=twin),
        ContactFactory(account=survivor, name="Helen Shaw"),
        ContactFactory(account=survivor),
    )
    Contact.objects.update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client.force_login(rep)
    path = "/api/v1/contacts/"
    assert ids(client.get(path, {"updated_since": since})) == []

    edited.title = "COO"
    contact_save(actor=rep, contact=edited)
    account_merge(actor=rep, survivor=survivor, duplicate=twin, values={})
    contact_erase(actor=sales_ops, contact=erased, confirmation="Helen Shaw")

    assert ids(client.get(path, {"updated_since": since})) == [edited.pk, moved.pk, erased.pk]
    assert untouched.pk in ids(client.get(path))
    bad = assert_problem(client.get(path, {"updated_since": "yesterday"}), 400)
    assert list(bad["errors"]) == ["updated_since"]


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-12-01", "2026-12-01T09:00:00", "2026-02-30T10:00:00Z"]
)
def test_a_bad_updated_since_is_a_400_naming_it(client, rep, value):
    client.force_login(rep)
    body = assert_problem(client.get("/api/v1/accounts/", {"updated_since": value}), 400)
    assert list(body["errors"]) == ["updated_since"]
    assert (
        "ISO 8601" in body["errors"]["updated_since"][0]
        or "offset" in (body["errors"]["updated_since"][0])
    )


def test_pages_walk_every_row_once_while_rows_are_added(client, rep):
    existing = {AccountFactory(owner=rep).pk for _ in range(11)}
    client.force_login(rep)
    seen: list[int] = []
    added: set[int] = set()
    response = client.get("/api/v1/accounts/", {"page_size": 3})
    while True:
        seen += ids(response)
        # Someone adds accounts, and changes one already read, between two pages.
        added |= {AccountFactory(owner=rep).pk for _ in range(2)}
        next_page = response.json()["next"]
        if not next_page or len(seen) > 100:
            break
        response = client.get(next_page)
    assert len(seen) == len(set(seen)), "a row came twice"
    assert existing <= set(seen), "a row that was there from the start was skipped"
    assert set(seen) <= existing | added


def test_contact_pages_walk_every_row_once_while_rows_are_added(client, rep, account):
    existing = {ContactFactory(account=account).pk for _ in range(7)}
    client.force_login(rep)
    seen: list[int] = []
    response = client.get("/api/v1/contacts/", {"page_size": 2})
    while True:
        seen += ids(response)
        ContactFactory(account=account)
        if not response.json()["next"] or len(seen) > 100:
            break
        response = client.get(response.json()["next"])
    assert len(seen) == len(set(seen))
    assert existing <= set(seen)


def test_page_size_default_and_limit(client, rep):
    for _ in range(3):
        AccountFactory(owner=rep)
    client.force_login(rep)
    body = client.get("/api/v1/accounts/").json()
    assert len(body["results"]) == 3
    assert body["next"] is None
    assert set(body) == {"next", "previous", "results"}
    body = assert_problem(client.get("/api/v1/accounts/", {"page_size": 201}), 400)
    assert list(body["errors"]) == ["page_size"]
    body = assert_problem(client.get("/api/v1/accounts/", {"cursor": "not-a-cursor"}), 400)
    assert list(body["errors"]) == ["cursor"]


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/contacts/"])
def test_query_count_is_pinned_and_flat(client, rep, teammate, path, django_assert_max_num_queries):
    referral = LeadSource.objects.create(name="Referral")
    client.force_login(rep)

    def grow(count: int) -> None:
        for n in range(count):
            account = AccountFactory(owner=rep if n % 2 else teammate, lead_source=referral)
            ContactFactory(account=account)

    grow(3)
    small = _queries(client, path)
    grow(60)
    with django_assert_max_num_queries(small):
        large = _queries(client, path + "?page_size=60")
    assert small == large
    # The session, the user, the page (owner, segment and lead source joined in): none per row.
    assert small == 3
