"""Merging duplicate accounts: everything moves to the survivor in one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from prospects import services
from prospects.merge import services as merge_services
from prospects.models import Account, AccountEvent, Contact, Conversation, WhyNote
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_merge_moves_everything_and_keeps_chosen_values(rep, account, contact, duplicate, log):
    log(
        account,
        occurred_at=timezone.now() - timedelta(days=5),
        ready_to_act="no",
        has_problem="yes",
    )
    survivor = merge_services.account_merge(
        actor=rep, survivor=account, duplicate=duplicate, values={"website": duplicate.website}
    )
    assert not Account.objects.filter(pk=duplicate.pk).exists()
    assert survivor.name == "St Brigid's Hospital"
    assert survivor.website == "https://stbrigids.example"
    assert set(Contact.objects.values_list("account", flat=True)) == {account.pk}
    assert Contact.objects.count() == 2
    assert Conversation.objects.filter(account=account).count() == 2
    assert WhyNote.objects.get().account == account
    # Readiness: the duplicate's answer was heard more recently, so it wins.
    assert (survivor.ready_to_act, survivor.has_problem) == ("yes", "yes")
    assert AccountEvent.objects.filter(account=account, kind="merged").get().summary == (
        "Merged “St Brigids Hosp.” into this account"
    )


def test_a_refused_merge_changes_nothing(rep, account, duplicate):
    with pytest.raises(ValidationError):
        merge_services.account_merge(
            actor=rep, survivor=account, duplicate=duplicate, values={"status": "disqualified"}
        )
    assert Account.objects.filter(pk=duplicate.pk).exists()
    assert duplicate.contacts.count() == 1
    assert duplicate.conversations.count() == 1
    with pytest.raises(ValidationError, match="two different"):
        merge_services.account_merge(actor=rep, survivor=account, duplicate=account, values={})


def test_merge_needs_edit_rights_on_both(rep, teammate, account, duplicate):
    theirs = AccountFactory(owner=teammate)
    with pytest.raises(ValidationError, match="only accounts you may edit"):
        merge_services.account_merge(actor=rep, survivor=account, duplicate=theirs, values={})
    assert Account.objects.filter(pk=theirs.pk).exists()


def test_merge_moves_the_duplicates_follow_ups(rep, account, duplicate):
    from pipeline.followups import services as followup_services
    from pipeline.followups.models import FollowUp

    follow_up = followup_services.followup_create(
        actor=rep, account=duplicate, purpose="Ask how the pilot went"
    )
    merge_services.account_merge(actor=rep, survivor=account, duplicate=duplicate, values={})
    follow_up = FollowUp.objects.get(pk=follow_up.pk)
    assert follow_up.account == account


def test_merged_account_keeps_a_single_created_entry(rep, account):
    services.account_create(actor=rep, name="Twin", owner=rep)
    AccountEvent.objects.create(
        account=account, kind="created", occurred_at=timezone.now(), actor=rep
    )
    twin = Account.objects.get(name="Twin")
    merge_services.account_merge(actor=rep, survivor=account, duplicate=twin, values={})
    assert AccountEvent.objects.filter(account=account, kind="created").count() == 1
