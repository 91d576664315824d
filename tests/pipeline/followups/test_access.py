"""Who may open, change and approve a follow-up: the owner, a teammate (reads only), an
outsider (404), the team's manager and an admin (approve), as pipeline.followups.access
answers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pipeline.followups import access
from pipeline.followups import services as followup_services
from prospects.models import Account
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(rep, account):
    return followup_services.followup_create(actor=rep, account=account, purpose="Ask")


def test_the_owner_opens_and_changes_it(rep, manager, follow_up):
    for user in (rep, manager):
        found = access.get_followup_for_user(user, follow_up.pk, for_edit=True)
        assert found == follow_up
        assert found.is_due in {True, False}  # with_due's annotations come along
        assert access.can_edit_followup(user, found)


def test_a_teammate_reads_it_but_may_not_change_it(teammate, follow_up):
    found = access.get_followup_for_user(teammate, follow_up.pk)
    assert not access.can_edit_followup(teammate, found)
    assert not access.can_move_followup(teammate, found)
    with pytest.raises(PermissionDenied, match="read-only"):
        access.get_followup_for_user(teammate, follow_up.pk, for_edit=True)


@pytest.mark.parametrize("pk", ["outsider's", "not a number", 999_999])
def test_an_outsider_or_a_bad_id_finds_nothing(outsider, follow_up, pk):
    with pytest.raises(Http404, match="No such follow-up"):
        access.get_followup_for_user(outsider, follow_up.pk if pk == "outsider's" else pk)


def test_its_owner_moves_it_on_even_on_an_account_no_longer_theirs(rep, teammate, follow_up):
    Account.objects.filter(pk=follow_up.account_id).update(owner=teammate)
    found = access.get_followup_for_user(rep, follow_up.pk)
    assert not access.can_edit_followup(rep, found)
    assert access.can_move_followup(rep, found)
    assert access.can_move_followup(teammate, found)  # the account is theirs now


def test_the_teams_manager_or_an_admin_approves(rep, teammate, manager, sales_ops, follow_up):
    other_manager = UserFactory(role="manager", team=TeamFactory())
    admin = UserFactory(role="admin")
    superuser = UserFactory(role="rep", is_superuser=True)
    mayors = {
        user: access.may_approve_followup(user=user, follow_up=follow_up)
        for user in (rep, teammate, manager, other_manager, sales_ops, admin, superuser)
    }
    assert {user for user, may in mayors.items() if may} == {manager, admin, superuser}
    assert access.get_followup_to_approve(manager, follow_up.pk) == follow_up
    with pytest.raises(PermissionDenied, match="Only the team's manager"):
        access.get_followup_to_approve(teammate, follow_up.pk)
