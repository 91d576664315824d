"""The deal page and the deal forms."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.deals.models import Opportunity
from prospects import services as prospect_services

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
    # One more than before the buying committee: the account's contacts with their seats;
    # and one for the deal's upcoming appointments (their contacts too once there are some).
    with django_assert_max_num_queries(14):
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
