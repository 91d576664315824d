"""Admin-site access and permissions follow the user's role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesflow.core import services
from salesflow.core.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make(role: str) -> User:
    return services.user_create(username=f"{role}-user", password="x", role=role)


def test_sales_ops_configures_teams_in_the_admin_but_not_users(client):
    client.force_login(make("sales_ops"))
    index = client.get(reverse("admin:index")).content.decode()
    assert "Teams" in index
    assert client.get(reverse("admin:core_team_add")).status_code == 200
    assert client.get(reverse("admin:core_user_changelist")).status_code == 200
    assert client.get(reverse("admin:core_user_add")).status_code == 403


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_reps_and_managers_are_not_let_into_the_admin(client, role):
    client.force_login(make(role))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_role_is_a_superuser_and_changing_role_changes_access():
    user = make("admin")
    assert (user.is_staff, user.is_superuser) == (True, True)
    user.role = User.Role.REP
    services.user_apply_role(user=user)
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_createsuperuser_makes_an_admin_by_role():
    user = User.objects.create_superuser("root", "root@example.test", "pw")
    assert user.role == User.Role.ADMIN


def test_role_change_in_the_admin_updates_access(admin_client):
    rep = UserFactory(role="rep")
    url = reverse("admin:core_user_change", args=[rep.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update(
        role="sales_ops",
        team="",
        groups=[],
        user_permissions=[],
        date_joined_0=rep.date_joined.strftime("%d/%m/%Y"),
        date_joined_1=rep.date_joined.strftime("%H:%M:%S"),
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rep.refresh_from_db()
    assert rep.role == "sales_ops"
    assert rep.is_staff


def test_team_created_in_the_admin_puts_its_manager_on_the_team(admin_client):
    manager = UserFactory(role="manager")
    response = admin_client.post(
        reverse("admin:core_team_add"), {"name": "South", "manager": manager.pk}
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.team.name == "South"


def test_sales_ops_sees_users_without_a_password_reset_button(client):
    ops = make("sales_ops")
    rep = UserFactory(role="rep")
    client.force_login(ops)
    html = client.get(reverse("admin:core_user_change", args=[rep.pk])).content.decode()
    assert rep.username in html
    assert "Reset password" not in html


@pytest.mark.parametrize(
    ("role", "superuser", "expected"),
    [
        # (is_rep, is_manager, is_admin, sees_everything)
        ("rep", False, (True, False, False, False)),
        ("manager", False, (False, True, False, False)),
        ("sales_ops", False, (False, False, False, True)),
        ("admin", False, (False, False, True, True)),
        ("rep", True, (True, False, True, True)),  # a superuser made outside the roles
    ],
)
def test_role_predicates_read_the_role(role, superuser, expected):
    user = UserFactory.build(role=role, is_superuser=superuser)
    assert (user.is_rep, user.is_manager, user.is_admin, user.sees_everything) == expected


def test_a_manager_manages_the_team_they_belong_to_only(team, manager, rep, outsider):
    assert manager.is_manager_of(team)
    assert manager.is_manager_of(team.pk)
    assert not manager.is_manager_of(outsider.team)
    assert not manager.is_manager_of(None)
    assert not rep.is_manager_of(team)
    teamless = UserFactory(role="manager", team=None)
    assert not teamless.is_manager_of(None)
