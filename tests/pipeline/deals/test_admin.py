"""The admin's deal pages go through the same service as the rest: a stage change there is
a move, checked and recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pipeline.deals.models import Opportunity, StageChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _admin_data(client, deal, **changes):
    url = reverse("admin:pipeline_opportunity_change", args=[deal.pk])
    form = client.get(url).context["adminform"].form
    data = {
        **{name: form[name].value() or "" for name in form.fields},
        "stage_changes-TOTAL_FORMS": "0",
        "stage_changes-INITIAL_FORMS": "0",
        **changes,
    }
    return url, {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin", is_staff=True, is_superuser=True)


def test_an_admin_stage_change_goes_through_the_service(client, admin_user, deal, stages, reason):
    client.force_login(admin_user)
    url, data = _admin_data(client, deal, stage=stages["Won"].pk, reason="")
    response = client.post(url, data)
    assert response.status_code == 200  # refused: a won deal needs a reason
    assert "Pick a reason that fits Won" in response.content.decode()
    data["reason"] = reason["won"].pk
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    deal.refresh_from_db()
    assert deal.stage == stages["Won"]
    assert deal.close_reason == reason["won"]
    latest = StageChange.objects.filter(opportunity=deal).latest()
    assert (latest.from_stage, latest.to_stage, latest.by) == (
        stages["Qualified"],
        stages["Won"],
        admin_user,
    )


def test_an_admin_save_never_undoes_a_move_made_after_the_form_was_opened(
    client, rep, admin_user, deal, stages
):
    from pipeline.deals import services as deal_services

    client.force_login(admin_user)
    url, data = _admin_data(client, deal, next_step="Call Helen")
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Evaluation"])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Someone moved this deal since you opened it" in response.content.decode()
    deal.refresh_from_db()
    assert (deal.stage, deal.next_step) == (stages["Evaluation"], "")
    assert StageChange.objects.filter(opportunity=deal).count() == 2


def test_an_admin_reason_for_an_open_stage_is_refused_and_nothing_saved(
    client, admin_user, deal, stages, reason
):
    client.force_login(admin_user)
    url, data = _admin_data(
        client, deal, name="Renamed", stage=stages["Lead"].pk, reason=reason["lost"].pk
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A reason is asked only when" in response.content.decode()
    deal.refresh_from_db()
    assert (deal.name, deal.stage) == ("Patient flow", stages["Qualified"])


def test_an_admin_cannot_add_a_deal_in_a_closed_stage(
    client, admin_user, account, standard, stages
):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:pipeline_opportunity_add"),
        {
            "account": account.pk,
            "pipeline": standard.pk,
            "stage": stages["Won"].pk,
            "name": "Straight to won",
            "owner": account.owner_id,
            "value": "10",
            "currency": "EUR",
            "stage_changes-TOTAL_FORMS": "0",
            "stage_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "A new deal starts in an open stage" in response.content.decode()
    assert not Opportunity.objects.exists()
