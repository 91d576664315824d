"""The admin's "History" link of every audited model shows the same lines as the records'
History tabs, for whoever the admin lets see the record."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from pipeline.deals.models import Opportunity
from salesflow.core.admin_site import AuditHistoryAdmin
from salesflow.core.audit.context import audit_context
from salesflow.core.audit.tracking import EVENT_MODELS
from salesflow.core.models import Team
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin", is_staff=True, is_superuser=True, first_name="Ada")


def test_every_audited_model_in_the_admin_shows_its_audit_history():
    registered = [model for model in EVENT_MODELS if model in admin.site._registry]
    assert len(registered) >= 10
    for model in registered:
        assert isinstance(admin.site._registry[model], AuditHistoryAdmin), model


def test_a_deal_s_admin_history_lists_the_value_change(client, admin_user, rep, deal):
    Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("16000"))
    with audit_context(door="page", detail=f"/deals/{deal.pk}/edit/", user=rep.pk):
        Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("17500"))
    client.force_login(admin_user)

    response = client.get(reverse("admin:pipeline_opportunity_history", args=[deal.pk]))

    assert response.status_code == 200
    text = " ".join(response.content.decode().split())
    assert "Every change" in text
    assert f"<td>{rep.display_name}</td> <td>Value: 16,000 → 17,500</td>" in text
    assert "<td>from the deal page</td>" in text
    # Django's own log of admin actions is still there, below.
    assert 'id="change-history"' in text


def test_the_admin_history_pages_by_cursor(client, admin_user):
    team = TeamFactory(name="T")
    for n in range(60):
        Team.objects.filter(pk=team.pk).update(name=f"T{n}")
    client.force_login(admin_user)
    url = reverse("admin:core_team_history", args=[team.pk])
    first = client.get(url)
    assert len(first.context["audit_changes"]) == 50
    older = client.get(url, {"before": first.context["audit_next_cursor"]})
    assert len(older.context["audit_changes"]) == 11
    assert older.context["audit_next_cursor"] is None
    # A cursor that is none of this team's events: the newest changes, as on the pages.
    stale = client.get(url, {"before": "999999999"})
    assert stale.context["audit_changes"][0].fields[0].new == "T59"
    assert not stale.context["audit_older_page"]


def test_a_staff_member_without_permission_is_refused(client, deal):
    clerk = UserFactory(role="rep", is_staff=True)
    client.force_login(clerk)
    response = client.get(reverse("admin:pipeline_opportunity_history", args=[deal.pk]))
    assert response.status_code == 403
