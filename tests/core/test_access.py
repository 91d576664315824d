"""Whose records a user sees (salesflow.core.access.Reach), and the role predicate that is
said twice, for one user and as a query."""

from __future__ import annotations

import pytest

from prospects.models import Account
from salesflow.core.access import Reach, owned_visible_to, reach_of
from salesflow.core.models import Team, User
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("superuser", [False, True])
@pytest.mark.parametrize("role", User.Role.values)
def test_the_query_for_who_sees_everything_agrees_with_the_predicate(role, superuser):
    user = UserFactory(role=role, is_superuser=superuser)
    others = UserFactory(role=User.Role.REP)  # never in it: the query must not be "everyone"
    seeing = set(User.objects.seeing_everything())
    assert (user in seeing) is user.sees_everything
    assert others not in seeing


def test_a_user_reaches_everyone_their_team_or_only_themself(team, rep, manager, outsider):
    ops = UserFactory(role="sales_ops")
    superuser_rep = UserFactory(role="rep", team=team, is_superuser=True)
    alone = UserFactory(role="manager", team=None)
    assert reach_of(ops) == reach_of(superuser_rep) == Reach("all")
    assert reach_of(rep) == reach_of(manager) == Reach("team", team.pk)
    assert reach_of(alone) == Reach.own(alone) == Reach("own", alone.pk)
    keys = [reach_of(user).key for user in (ops, rep, alone)]
    assert keys == ["all", f"team-{team.pk}", f"own-{alone.pk}"]


def test_the_reach_says_whose_records_people_and_teams_are_seen(team, rep, teammate, outsider):
    gone = UserFactory(role="rep", team=team, is_active=False)
    alone = UserFactory(role="rep", team=None)
    mine, theirs, elsewhere = (AccountFactory(owner=owner) for owner in (rep, teammate, outsider))
    lonely = AccountFactory(owner=alone)
    ops = UserFactory(role="sales_ops")
    everyone = set(Account.objects.all())

    assert set(owned_visible_to(Account.objects.all(), rep)) == {mine, theirs}
    assert set(owned_visible_to(Account.objects.all(), alone)) == {lonely}
    assert set(owned_visible_to(Account.objects.all(), ops)) == everyone
    assert elsewhere in everyone

    assert set(reach_of(rep).people()) == {rep, teammate}  # not who has left
    assert gone not in set(reach_of(ops).people())
    assert list(reach_of(alone).people()) == [alone]

    assert list(reach_of(rep).teams()) == [team]
    assert list(reach_of(alone).teams()) == []
    assert set(reach_of(ops).teams()) == set(Team.objects.all()) == {team, outsider.team}
