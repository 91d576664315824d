"""Who sees and changes which account: owner, teammate, manager, sales ops and an outsider."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from prospects import access
from prospects.models import Conversation, WhyNote

pytestmark = pytest.mark.django_db

READ_PAGES = ["prospects:account_detail", "prospects:account_timeline"]
EDIT_PAGES = [
    "prospects:account_edit",
    "prospects:conversation_create",
    "prospects:why_edit",
    "prospects:contact_create",
    "prospects:conversation_questions",
]


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", READ_PAGES + EDIT_PAGES)
def test_owner_opens_every_page(client, rep, account, name):
    response = as_user(client, rep).get(reverse(name, args=[account.pk]))
    assert response.status_code in {200, 302}


@pytest.mark.parametrize("name", READ_PAGES)
def test_teammate_reads(client, teammate, account, name):
    assert as_user(client, teammate).get(reverse(name, args=[account.pk])).status_code in {200, 302}


@pytest.mark.parametrize("name", EDIT_PAGES)
def test_teammate_may_not_edit(client, teammate, account, name):
    assert as_user(client, teammate).get(reverse(name, args=[account.pk])).status_code == 403


@pytest.mark.parametrize("name", READ_PAGES + EDIT_PAGES)
def test_outsider_gets_404_everywhere(client, outsider, account, name):
    assert as_user(client, outsider).get(reverse(name, args=[account.pk])).status_code == 404


@pytest.mark.parametrize("name", EDIT_PAGES)
def test_manager_and_sales_ops_edit(client, manager, sales_ops, account, name):
    for user in (manager, sales_ops):
        assert as_user(client, user).get(reverse(name, args=[account.pk])).status_code == 200


def test_contact_edit_follows_the_account(client, rep, teammate, outsider, contact):
    url = reverse("prospects:contact_edit", args=[contact.pk])
    assert as_user(client, rep).get(url).status_code == 200
    assert as_user(client, teammate).get(url).status_code == 403
    assert as_user(client, outsider).get(url).status_code == 404


def test_account_list_shows_the_team_only(client, rep, teammate, outsider, account, other_account):
    for user, sees_other in ((rep, False), (teammate, False), (outsider, True)):
        html = as_user(client, user).get(reverse("prospects:account_list")).content.decode()
        assert (escape(account.name) in html) is not sees_other
        assert (escape(other_account.name) in html) is sees_other


def test_read_only_page_shows_no_forms(client, teammate, account):
    html = (
        as_user(client, teammate)
        .get(reverse("prospects:account_detail", args=[account.pk]))
        .content.decode()
    )
    assert "Read-only" in html
    assert 'id="conversation-form"' not in html
    assert "Edit the why" not in html
    assert "Record their why" not in html


def test_posts_by_teammate_and_outsider_change_nothing(client, teammate, outsider, account):
    data = {
        "occurred_at": "2026-01-05T10:00",
        "channel": "call",
        "kind": "other",
        "has_problem": "yes",
        "accepts_significance": "unknown",
        "ready_to_act": "unknown",
    }
    for user, status in ((teammate, 403), (outsider, 404)):
        url = reverse("prospects:conversation_create", args=[account.pk])
        assert as_user(client, user).post(url, data).status_code == status
        why_url = reverse("prospects:why_edit", args=[account.pk])
        assert client.post(why_url, {"text": "x", "said_on": "2026-01-05"}).status_code == status
    assert not Conversation.objects.exists()
    assert not WhyNote.objects.exists()


def test_another_teams_contact_id_is_refused_in_the_form(client, rep, account, other_account):
    from tests.factories import ContactFactory

    foreign = ContactFactory(account=other_account)
    url = reverse("prospects:conversation_create", args=[account.pk])
    data = {
        "occurred_at": "2026-01-05T10:00",
        "channel": "call",
        "kind": "other",
        "contacts": [foreign.pk],
        "has_problem": "unknown",
        "accepts_significance": "unknown",
        "ready_to_act": "unknown",
    }
    response = as_user(client, rep).post(url, data)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Conversation.objects.exists()


def test_rep_cannot_give_an_account_to_another_team(client, rep, outsider, account):
    url = reverse("prospects:account_edit", args=[account.pk])
    response = as_user(client, rep).post(
        url, {"name": account.name, "owner": outsider.pk, "status": "prospect"}
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.owner == rep


def test_an_owner_the_actor_may_not_assign_is_refused_on_the_owner_field(
    rep, teammate, manager, outsider
):
    access.check_assignable_owner(actor=manager, owner=teammate)  # their team: allowed
    with pytest.raises(ValidationError) as refused:
        access.check_assignable_owner(actor=rep, owner=teammate)
    assert refused.value.message_dict == {"owner": ["You cannot give accounts to this person."]}
    with pytest.raises(ValidationError) as refused:
        access.check_assignable_owner(actor=manager, owner=outsider, what="deals")
    assert refused.value.message_dict == {"owner": ["You cannot give deals to this person."]}
