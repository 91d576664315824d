"""The follow-up list: the filters the home and account pages sort follow-ups by, keyset
pages that hold still while follow-ups are added and moved, updated_since read from their
history, and a query count that does not grow with the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp, FollowUpEvent
from pipeline.followups.sweep import followups_surface_due
from tests.factories import AccountFactory, TeamFactory, UserFactory
from tests.pipeline.api.soe_support import assert_problem, results

pytestmark = pytest.mark.django_db
PATH = "/api/v1/follow-ups/"


def make(actor, account, purpose: str = "Ask", **fields) -> FollowUp:
    return followup_services.followup_create(
        actor=actor, account=account, purpose=purpose, **fields
    )


def test_filters_match_the_pages(client, rep, teammate, sales_ops, deal, account):
    on_deal = make(rep, account, opportunity=deal)
    held = make(rep, account)
    FollowUp.objects.filter(pk=held.pk).update(surface_at=timezone.now() + timedelta(days=2))
    theirs = make(teammate, AccountFactory(owner=teammate))
    dismissed = make(rep, account)
    followup_services.followup_dismiss(actor=rep, follow_up=dismissed, reason="Signed")
    other_team = UserFactory(role="rep", team=TeamFactory())
    elsewhere = make(other_team, AccountFactory(owner=other_team))
    client.force_login(sales_ops)
    assert results(client.get(PATH)) == [on_deal.pk, held.pk, theirs.pk, dismissed.pk, elsewhere.pk]
    assert results(client.get(PATH, {"status": "held"})) == [
        on_deal.pk,
        held.pk,
        theirs.pk,
        elsewhere.pk,
    ]
    assert results(client.get(PATH, {"status": "dismissed"})) == [dismissed.pk]
    assert results(client.get(PATH, {"due": "true", "team": rep.team_id})) == [
        on_deal.pk,
        theirs.pk,
    ]
    assert results(client.get(PATH, {"due": "false", "owner": rep.pk})) == [
        held.pk,
        dismissed.pk,
    ]
    assert results(client.get(PATH, {"account": account.pk, "status": "held"})) == [
        on_deal.pk,
        held.pk,
    ]
    assert results(client.get(PATH, {"deal": deal.pk})) == [on_deal.pk]
    assert results(client.get(PATH, {"owner": teammate.pk})) == [theirs.pk]
    # A filter never widens what a rep sees.
    client.force_login(rep)
    assert results(client.get(PATH)) == [on_deal.pk, held.pk, theirs.pk, dismissed.pk]
    assert results(client.get(PATH, {"owner": other_team.pk})) == []
    assert results(client.get(PATH, {"team": other_team.team_id})) == []


def test_awaiting_approval_lists_what_waits_for_the_manager(client, rep, manager, account):
    free = make(rep, account)
    rep.team.review_followups = True
    rep.team.save()
    waiting = make(rep, account)
    client.force_login(manager)
    assert results(client.get(PATH, {"awaiting_approval": "true"})) == [waiting.pk]
    assert results(client.get(PATH, {"awaiting_approval": "false"})) == [free.pk]
    item = client.get(f"/api/v1/follow-ups/{waiting.pk}/").json()
    assert item["approval"]["awaiting"] is True


def test_updated_since_reads_what_changed_by_its_history(client, rep, account):
    quiet = make(rep, account)
    moved = make(rep, account)
    FollowUpEvent.objects.update(at=timezone.now() - timedelta(days=3))
    since = timezone.now() - timedelta(days=1)
    fresh = make(rep, account)
    client.force_login(rep)
    stamp = since.isoformat()
    assert results(client.get(PATH, {"updated_since": stamp})) == [fresh.pk]
    # A move writes its history: the moved one is changed, the quiet one is not.
    followup_services.followup_dismiss(actor=rep, follow_up=moved, reason="Signed")
    assert results(client.get(PATH, {"updated_since": stamp})) == [moved.pk, fresh.pk]
    # The sweep surfacing one counts as a change too.
    FollowUp.objects.filter(pk=quiet.pk).update(surface_at=timezone.now() - timedelta(minutes=1))
    followups_surface_due()
    assert quiet.pk in results(client.get(PATH, {"updated_since": stamp}))


@pytest.mark.parametrize("value", ["yesterday", "2026-12-01", "2026-12-01T09:00:00"])
def test_a_bad_filter_is_a_400_naming_it(client, rep, value):
    client.force_login(rep)
    body = assert_problem(client.get(PATH, {"updated_since": value}), 400)
    assert list(body["errors"]) == ["updated_since"]
    body = assert_problem(client.get(PATH, {"due": "perhaps", "status": "late"}), 400)
    assert set(body["errors"]) == {"due", "status"}


def test_pages_walk_every_follow_up_once_while_they_are_added_and_moved(client, rep, account):
    existing = [make(rep, account, f"Ask {n}").pk for n in range(9)]
    client.force_login(rep)
    seen: list[int] = []
    added: set[int] = set()
    response = client.get(PATH, {"page_size": 2})
    while True:
        seen += results(response)
        # Between two pages someone adds one, and a patience hold moves one already read.
        added.add(make(rep, account, "Later").pk)
        FollowUp.objects.filter(pk=seen[0]).update(surface_at=timezone.now() + timedelta(days=9))
        next_page = response.json()["next"]
        if not next_page or len(seen) > 100:
            break
        response = client.get(next_page)
    assert len(seen) == len(set(seen)), "a follow-up came twice"
    assert set(existing) <= set(seen), "a follow-up there from the start was skipped"
    assert set(seen) <= set(existing) | added


def test_the_list_reads_in_a_fixed_number_of_queries(
    client, rep, teammate, django_assert_max_num_queries
):
    client.force_login(rep)
    client.get(PATH)  # the session and the user, once
    counts = []
    for size in (3, 30):
        while FollowUp.objects.count() < size:
            owner = (rep, teammate)[FollowUp.objects.count() % 2]
            make(owner, AccountFactory(owner=owner), opportunity=None)
        # The session, the user, the page's ids, its rows with their people, accounts, deals.
        with django_assert_max_num_queries(4) as captured:
            assert len(results(client.get(PATH, {"page_size": 200}))) == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts
