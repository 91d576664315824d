"""Merging duplicate accounts: everything moves to the survivor in one transaction."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospects import services
from prospects.models import Account, AccountEvent, Contact, Conversation, WhyNote
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate(rep, account, log):
    dup = AccountFactory(
        owner=rep,
        name="St Brigids Hosp.",
        website="https://stbrigids.example",
        segment=account.segment,
    )
    helen = ContactFactory(account=dup, name="Helen (duplicate)")
    log(dup, occurred_at=timezone.now() - timedelta(days=1), ready_to_act="yes", contacts=[helen])
    services.why_record(actor=rep, account=dup, text="Weekend beds", said_on=date(2026, 11, 1))
    return dup


def test_merge_moves_everything_and_keeps_chosen_values(rep, account, contact, duplicate, log):
    log(
        account,
        occurred_at=timezone.now() - timedelta(days=5),
        ready_to_act="no",
        has_problem="yes",
    )
    survivor = services.account_merge(
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
        services.account_merge(
            actor=rep, survivor=account, duplicate=duplicate, values={"status": "disqualified"}
        )
    assert Account.objects.filter(pk=duplicate.pk).exists()
    assert duplicate.contacts.count() == 1
    assert duplicate.conversations.count() == 1
    with pytest.raises(ValidationError, match="two different"):
        services.account_merge(actor=rep, survivor=account, duplicate=account, values={})


def test_merge_needs_edit_rights_on_both(rep, teammate, account, duplicate):
    theirs = AccountFactory(owner=teammate)
    with pytest.raises(ValidationError, match="only accounts you may edit"):
        services.account_merge(actor=rep, survivor=account, duplicate=theirs, values={})
    assert Account.objects.filter(pk=theirs.pk).exists()


def test_merge_pages_pick_then_compare_then_merge(client, rep, account, duplicate):
    client.force_login(rep)
    url = reverse("prospects:account_merge", args=[account.pk])
    picker = client.get(url)
    assert duplicate in picker.context["candidates"]  # found by the first word of the name
    compare = client.get(url, {"other": duplicate.pk})
    form = compare.context["form"]
    assert form.differences == ["name", "website"]
    assert compare.context["moving"] == {
        "contacts": 1,
        "conversations": 1,
        "why_notes": 1,
        "opportunities": 0,
    }
    response = client.post(url, {"other": duplicate.pk, "name": "duplicate", "website": "survivor"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "St Brigids Hosp."
    assert account.website == ""


def test_merge_access(client, rep, teammate, outsider, account, duplicate, other_account):
    url = reverse("prospects:account_merge", args=[account.pk])
    client.force_login(teammate)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(rep)
    assert client.get(url, {"other": other_account.pk}).status_code == 404
    assert client.post(url, {"other": other_account.pk}).status_code == 404
    assert Account.objects.filter(pk=other_account.pk).exists()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(other=st.one_of(st.text(max_size=30), st.integers().map(str)), name=st.text(max_size=20))
def test_merge_takes_any_input(client, rep, account, other, name):
    client.force_login(rep)
    url = reverse("prospects:account_merge", args=[account.pk])
    response = client.post(url, {"other": other, "name": name, "website": name})
    assert response.status_code in {200, 302, 403, 404, 422}
    assert Account.objects.filter(pk=account.pk).exists()
