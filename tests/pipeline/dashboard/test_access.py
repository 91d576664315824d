"""Whose dashboard is their own (a rep's), and that the navigation offers the dashboard by the
same rule: everyone else oversees others' figures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pipeline.dashboard.scope import Scope, sees_own_only
from salesflow.core.access import Reach, reach_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def nav_labels(client, user) -> list[str]:
    client.force_login(user)
    return [item.label for item in client.get(reverse("home")).context["nav_items"]]


def test_the_navigation_offers_the_dashboard_to_whoever_sees_more_than_their_own(
    client, team, rep, manager, sales_ops
):
    # A superuser made outside the roles sees everything, whatever their role says.
    superuser_rep = UserFactory(role="rep", team=team, is_superuser=True)
    everyone = [(rep, True), (manager, False), (sales_ops, False), (superuser_rep, False)]
    for user, own_only in everyone:
        assert sees_own_only(user) is own_only is (not user.oversees_others), user
        assert ("Dashboard" in nav_labels(client, user)) is not own_only, user


def test_the_kept_figures_are_keyed_by_whose_deals_they_count(team, rep, manager, sales_ops):
    assert Scope(user=rep).reach == Reach.own(rep)  # a rep's dashboard is their own
    assert Scope(user=manager).reach == reach_of(manager) == Reach("team", team.pk)
    assert Scope(user=sales_ops).reach == Reach("all")
    assert Scope(user=manager).cache_key.startswith(f"dashboard:2:team-{team.pk}:")
    assert Scope(user=rep).cache_key.startswith(f"dashboard:2:own-{rep.pk}:")
