"""The deal page, the deal forms, the admin entry point and notifications."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.deals.models import Opportunity, StageChange
from prospects import services as prospect_services
from salesflow.core.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_deal_page_pins_the_why_and_shows_readiness_conversations_and_history(
    client, rep, deal, stages, log_yes
):
    prospect_services.why_record(
        actor=rep,
        account=deal.account,
        text="Friday discharges stall",
        said_on=timezone.localdate(),
    )
    log_yes(deal.account)
    prospect_services.conversation_log(
        actor=rep,
        account=deal.account,
        occurred_at=timezone.now(),
        channel="meeting",
        kind="solution_development",
        notes="Walked the ward with Helen",
    )
    client.force_login(rep)
    client.post(
        reverse("pipeline:opportunity_move", args=[deal.pk]),
        {
            "stage": stages["Solution development"].pk,
            "from_stage": deal.stage_id,
            "note": "Pilot agreed",
        },
    )
    html = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk])).content.decode()
    assert html.index("Friday discharges stall") < html.index("Stage history")
    assert "Readiness" in html
    assert "Is ready to act" in html
    assert "Walked the ward with Helen" in html
    assert "Qualified → Solution development" in html
    assert "Pilot agreed" in html
    assert '<span class="badge text-bg-success">Qualified</span>' in html  # for a specialist


def test_closing_from_the_deal_page_needs_a_reason(client, rep, deal, stages, reason):
    client.force_login(rep)
    url = reverse("pipeline:opportunity_move", args=[deal.pk])
    response = client.post(
        url, {"stage": stages["Lost"].pk, "from_stage": deal.stage_id, "note": "Went quiet"}
    )
    # The page again, with the reason beside the form and what was typed kept.
    assert response.status_code == 422
    page = response.content.decode()
    assert "Say why the deal was lost or disqualified" in page
    assert "Went quiet</textarea>" in page
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["Qualified"]
    client.post(
        url,
        {
            "stage": stages["Lost"].pk,
            "from_stage": deal.stage_id,
            "reason": reason["disqualified"].pk,
        },
    )
    deal.refresh_from_db()
    assert deal.close_reason == reason["disqualified"]
    html = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk])).content.decode()
    assert "disqualified — " in html


def test_the_move_form_starts_on_the_current_stage(client, rep, deal, stages):
    client.force_login(rep)
    page = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    assert page.context["move_form"]["stage"].value() == stages["Qualified"].pk


def test_new_deal_form_defaults_from_the_account_and_opens_it(client, rep, account, standard):
    from prospects.models import LeadSource

    source = LeadSource.objects.create(name="Webinar")
    account.lead_source = source
    account.save()
    client.force_login(rep)
    url = reverse("pipeline:opportunity_create", args=[account.pk])
    form = client.get(url).context["form"]
    assert form["name"].initial == account.name
    assert form["lead_source"].initial == source.pk
    response = client.post(
        url,
        {
            "name": "Wards",
            "owner": rep.pk,
            "value": "12000",
            "currency": "GBP",
            "next_step": "Call",
        },
    )
    deal = Opportunity.objects.get(name="Wards")
    assert response["Location"] == reverse("pipeline:opportunity_detail", args=[deal.pk])
    assert (deal.lead_source, deal.stage.name, deal.currency) == (source, "Lead", "GBP")


def test_a_bad_deal_form_says_why_and_saves_nothing(client, rep, account, standard):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:opportunity_create", args=[account.pk]),
        {
            "name": "",
            "owner": rep.pk,
            "value": "-5",
            "currency": "XXX",
            "expected_close_date": "1900-01-01",
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"name", "value", "currency", "expected_close_date"}
    assert not Opportunity.objects.exists()


def test_edit_saves_fields_through_the_service(client, rep, deal):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:opportunity_edit", args=[deal.pk]),
        {"name": "Patient flow, six wards", "owner": rep.pk, "value": "60000", "currency": "EUR"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.name, int(deal.value)) == ("Patient flow, six wards", 60000)


def test_the_account_page_lists_its_deals(client, rep, deal):
    client.force_login(rep)
    html = client.get(reverse("prospects:account_detail", args=[deal.account_id])).content.decode()
    assert reverse("pipeline:opportunity_detail", args=[deal.pk]) in html
    assert "New deal" in html


def test_the_specialist_request_from_the_page(client, rep, deal, log_yes):
    client.force_login(rep)
    url = reverse("pipeline:specialist_request", args=[deal.pk])
    page = client.get(client.post(url)["Location"]).content.decode()
    assert "Not qualified yet" in page
    log_yes(deal.account)
    page = client.get(client.post(url)["Location"]).content.decode()
    assert "Specialist requested." in page
    assert Opportunity.objects.get(pk=deal.pk).specialist_requested_by == rep


@pytest.mark.parametrize("size", [1, 30])
def test_deal_page_query_count_is_constant(
    client, rep, deal, stages, size, log_yes, django_assert_max_num_queries
):
    from pipeline.deals import services as deal_services

    for n in range(size):
        log_yes(deal.account)
        target = stages["Evaluation"] if n % 2 == 0 else stages["Qualified"]
        deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=target)
    client.force_login(rep)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("pipeline:opportunity_detail", args=[deal.pk]))
    assert response.status_code == 200


def test_a_long_stage_history_comes_a_page_at_a_time(client, rep, deal, stages, log_yes):
    from pipeline.deals import services as deal_services

    log_yes(deal.account)
    for n in range(30):  # 31 moves with the opening one
        target = stages["Evaluation"] if n % 2 == 0 else stages["Qualified"]
        deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=target)
    client.force_login(rep)
    url = reverse("pipeline:opportunity_detail", args=[deal.pk])
    first = client.get(url)
    assert len(first.context["history"].moves) == 25
    assert "Older moves" in first.content.decode()
    assert "Newer moves" not in first.content.decode()
    second = client.get(url, {"moves": 2})
    moves = second.context["history"].moves
    assert len(moves) == 6
    assert moves[-1].from_stage is None  # the opening move, last
    assert "Newer moves" in second.content.decode()
    assert "Older moves" not in second.content.decode()
    for odd in ("²", "-1", "0", "99999999999", "x"):
        assert client.get(url, {"moves": odd}).status_code == 200


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


def test_notifications_page_marks_all_read(client, rep):
    Notification.objects.create(user=rep, kind="stuck_deal", title="Deal X is stuck")
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    assert '1<span class="visually-hidden"> unread</span>' in html
    assert client.post(reverse("notifications")).status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
