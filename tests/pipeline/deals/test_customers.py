"""An account with a won deal is a customer: winning makes it one, wherever the win is made."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given

from pipeline.deals import services as deal_services
from prospects import services as prospect_services
from prospects.merge import services as merge_services
from prospects.models import Account, AccountEvent
from tests.factories import AccountFactory, UserFactory
from tests.hostile import OK, fuzz, hostile

pytestmark = pytest.mark.django_db


def status_events(account: Account) -> list[str]:
    return list(
        AccountEvent.objects.filter(account=account, kind="status").values_list(
            "summary", flat=True
        )
    )


def win(rep, deal, stages, reason):
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=deal, to_stage=stages["Won"], reason=reason["won"]
    )


def test_winning_a_deal_makes_its_account_a_customer_on_its_timeline(rep, deal, stages, reason):
    assert deal.account.status == "prospect"
    win(rep, deal, stages, reason)
    account = Account.objects.get(pk=deal.account_id)
    assert account.status == "customer"
    event = AccountEvent.objects.get(account=account, kind="status")
    assert event.summary == "Prospect → Customer: won “Patient flow”"
    assert event.actor == rep
    assert event.occurred_at == deal.closed_at


def test_winning_on_the_deal_page_makes_a_customer(client, rep, deal, stages, reason):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:opportunity_move", args=[deal.pk]),
        {
            "stage": stages["Won"].pk,
            "from_stage": stages["Qualified"].pk,
            "reason": reason["won"].pk,
        },
    )
    assert response.status_code == 302
    assert Account.objects.get(pk=deal.account_id).status == "customer"
    page = client.get(reverse("prospects:account_detail", args=[deal.account_id])).content
    assert "Prospect → Customer: won “Patient flow”" in page.decode()


def test_winning_in_the_admin_makes_a_customer_through_the_same_service(
    client, deal, stages, reason
):
    admin_user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    url = reverse("admin:pipeline_opportunity_change", args=[deal.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "stage": stages["Won"].pk,
            "reason": reason["won"].pk,
            "stage_changes-TOTAL_FORMS": "0",
            "stage_changes-INITIAL_FORMS": "0",
        }
    )
    assert client.post(url, data).status_code == 302
    assert Account.objects.get(pk=deal.account_id).status == "customer"
    assert AccountEvent.objects.get(account=deal.account, kind="status").actor == admin_user


def test_a_customer_stays_one_when_a_later_deal_is_lost_or_the_won_one_reopened(
    rep, deal, open_deal, stages, reason
):
    win(rep, deal, stages, reason)
    later = open_deal(rep, account=deal.account, name="Second ward")
    deal_services.opportunity_move_stage(
        actor=rep, opportunity=later, to_stage=stages["Lost"], reason=reason["lost"]
    )
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Decision"])
    assert Account.objects.get(pk=deal.account_id).status == "customer"
    assert status_events(deal.account) == ["Prospect → Customer: won “Patient flow”"]
    win(rep, deal, stages, reason)  # won again: already a customer, nothing to record
    assert len(status_events(deal.account)) == 1


def test_an_account_with_a_won_deal_cannot_be_set_back_to_prospect(
    client, rep, deal, stages, reason
):
    win(rep, deal, stages, reason)
    account = Account.objects.get(pk=deal.account_id)
    for status in ("prospect", "disqualified"):
        with pytest.raises(ValidationError, match="won deal is a customer"):
            prospect_services.account_update(
                actor=rep, account=account, status=status, disqualified_reason="Gone quiet"
            )
    client.force_login(rep)
    response = client.post(
        reverse("prospects:account_edit", args=[account.pk]),
        {"name": account.name, "owner": rep.pk, "status": "prospect"},
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "won deal is a customer" in response.content.decode()
    assert Account.objects.get(pk=account.pk).status == "customer"
    # Reopened, the deal is no longer won: the rep may correct the status by hand.
    deal_services.opportunity_move_stage(actor=rep, opportunity=deal, to_stage=stages["Decision"])
    prospect_services.account_update(actor=rep, account=account, status="prospect")
    assert Account.objects.get(pk=account.pk).status == "prospect"


def test_the_admin_refuses_a_prospect_status_for_an_account_with_a_won_deal(
    client, rep, deal, stages, reason
):
    win(rep, deal, stages, reason)
    admin_user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    account = Account.objects.get(pk=deal.account_id)
    response = client.post(
        reverse("admin:prospects_account_change", args=[account.pk]),
        {
            "name": account.name,
            "website": "",
            "segment": account.segment_id or "",
            "lead_source": "",
            "owner": account.owner_id,
            "status": "prospect",
            "disqualified_reason": "",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "won deal is a customer" in response.content.decode()
    assert Account.objects.get(pk=account.pk).status == "customer"


def test_a_merge_keeps_a_won_deal_s_account_a_customer(rep, deal, stages, reason):
    win(rep, deal, stages, reason)
    duplicate = Account.objects.get(pk=deal.account_id)
    survivor = AccountFactory(owner=rep, name="St Brigid's")
    with pytest.raises(ValidationError, match="won deal is a customer"):
        merge_services.account_merge(actor=rep, survivor=survivor, duplicate=duplicate, values={})
    assert Account.objects.filter(pk=duplicate.pk).exists()  # nothing half-done
    merged = merge_services.account_merge(
        actor=rep, survivor=survivor, duplicate=duplicate, values={"status": "customer"}
    )
    assert merged.status == "customer"
    assert merged.opportunities.get() == deal


def test_the_migration_makes_accounts_that_won_before_customers(rep, deal, stages, reason):
    win(rep, deal, stages, reason)
    lost = AccountFactory(owner=rep)
    # As winning left them before: a prospect with a won deal, and nothing on its timeline.
    Account.objects.filter(pk=deal.account_id).update(status="prospect")
    AccountEvent.objects.filter(kind="status").delete()
    migration = importlib.import_module("pipeline.migrations.0012_won_accounts_are_customers")
    migration.make_customers(apps, None)
    deal.refresh_from_db()
    assert Account.objects.get(pk=deal.account_id).status == "customer"
    event = AccountEvent.objects.get(account_id=deal.account_id, kind="status")
    assert (event.summary, event.occurred_at) == (
        "Prospect → Customer: won “Patient flow”",
        deal.closed_at,
    )
    assert Account.objects.get(pk=lost.pk).status == "prospect"


@fuzz
@given(name=hostile, website=hostile, status=hostile, why=hostile)
def test_hostile_account_edits_never_make_a_winner_a_prospect(
    client, rep, deal, stages, reason, name, website, status, why
):
    """In the rep's form and the admin's, whatever is sent: a page or a refusal, never a
    500, and an account with a won deal stays a customer."""
    if deal.stage.outcome != "won":
        win(rep, deal, stages, reason)
    account = Account.objects.get(pk=deal.account_id)
    admin_user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    data = {
        "name": name,
        "website": website,
        "owner": rep.pk,
        "status": status,
        "disqualified_reason": why,
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    for user, url in (
        (rep, reverse("prospects:account_edit", args=[account.pk])),
        (admin_user, reverse("admin:prospects_account_change", args=[account.pk])),
    ):
        client.force_login(user)
        response = client.post(url, data)
        assert response.status_code in OK
        assert Account.objects.get(pk=account.pk).status == "customer"
