"""The History tab of the account, contact and deal pages: the lines it reads, its pages,
its fragments for htmx, who may open it, and what it costs."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.deals.models import Opportunity
from prospects.models import Account
from salesflow.core.audit.context import audit_context
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _edit_form(deal, **values):
    form = {
        "name": deal.name,
        "owner": deal.owner_id,
        "value": deal.value,
        "currency": deal.currency,
        "expected_close_date": "",
        "lead_source": "",
        "next_step": deal.next_step,
        "pipeline": deal.pipeline_id,
    }
    form.update(values)
    return form


def _history_urls(deal, contact) -> list[str]:
    return [
        reverse("prospects:account_history", args=[deal.account_id]),
        reverse("prospects:contact_history", args=[contact.pk]),
        reverse("pipeline:opportunity_history", args=[deal.pk]),
    ]


def test_the_deal_history_says_who_changed_the_value_from_what_to_what_and_where(client, rep, deal):
    Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("16000"))
    client.force_login(rep)
    edit = reverse("pipeline:opportunity_edit", args=[deal.pk])
    assert client.post(edit, _edit_form(deal, value="17500")).status_code == 302

    response = client.get(reverse("pipeline:opportunity_history", args=[deal.pk]))

    assert response.status_code == 200
    lines = response.context["changes"]
    assert lines[0].actor == rep
    assert [(f.label, f.old, f.new) for f in lines[0].fields] == [("Value", "16,000", "17,500")]
    text = " ".join(response.content.decode().split())
    assert "Rita Rep</span> changed" in text
    assert 'value <span class="history-old">16,000</span> → ' in text
    assert "· from the deal page" in text
    # The tab is marked as the current one, the overview is a plain link back.
    assert 'aria-current="page" href="/deals/' in text


def test_history_gives_times_in_the_viewer_s_zone(client, rep, deal):
    rep.time_zone = "America/Los_Angeles"
    rep.save(update_fields=["time_zone"])
    client.force_login(rep)
    response = client.get(reverse("pipeline:opportunity_history", args=[deal.pk]))
    [created] = response.context["changes"]
    local = timezone.localtime(created.at, ZoneInfo("America/Los_Angeles"))
    assert f"{local:%-d %b %Y, %H:%M}" in response.content.decode()


def test_history_shows_foreign_keys_as_names_and_choices_as_labels(client, rep, account):
    client.force_login(rep)
    Account.objects.filter(pk=account.pk).update(
        status=Account.Status.DISQUALIFIED, disqualified_reason="No budget"
    )

    response = client.get(reverse("prospects:account_history", args=[account.pk]))

    [status] = [c for c in response.context["changes"] if c.action == "changed"]
    field = next(f for f in status.fields if f.name == "status")
    assert (field.old, field.new) == ("Prospect", "Disqualified")
    # The creation names the owner by name, not by id.
    [created] = [c for c in response.context["changes"] if c.action == "created"]
    owner = next(f for f in created.fields if f.name == "owner")
    assert owner.new == rep.display_name
    assert "created this account" in response.content.decode()


def test_history_pages_by_cursor_and_htmx_gets_only_the_older_lines(client, rep, account):
    for n in range(30):
        Account.objects.filter(pk=account.pk).update(name=f"Renamed {n}")
    client.force_login(rep)
    url = reverse("prospects:account_history", args=[account.pk])

    first = client.get(url)
    cursor = first.context["next_cursor"]
    assert len(first.context["changes"]) == 25
    assert cursor
    older = client.get(url, {"before": cursor}, HTTP_HX_REQUEST="true")

    body = older.content.decode()
    assert "<html" not in body
    assert "Show older" not in body
    names = [c.fields[0].new for c in first.context["changes"] + older.context["changes"]]
    assert names[:2] == ["Renamed 29", "Renamed 28"]
    # 31 events: 30 renames and the creation, each once, in order across the pages' edge.
    assert len(first.context["changes"]) + len(older.context["changes"]) == 31
    assert names[24:26] == ["Renamed 5", "Renamed 4"]


def test_the_tab_asked_by_htmx_is_the_tabs_and_the_list_without_the_page(client, rep, deal):
    client.force_login(rep)
    response = client.get(
        reverse("pipeline:opportunity_history", args=[deal.pk]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="audit-history-heading"' in body
    assert "nav-tabs" in body


@pytest.mark.parametrize("before", ["x", "-3", "0", "9" * 40, "1.5", "%00", "999999999"])
def test_a_bad_cursor_shows_the_newest_changes(client, rep, deal, before):
    Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("17500"))
    client.force_login(rep)
    response = client.get(
        reverse("pipeline:opportunity_history", args=[deal.pk]), {"before": before}
    )
    assert response.status_code == 200
    newest = response.context["changes"][0]
    assert [(f.old, f.new) for f in newest.fields] == [("48,000", "17,500")]


def test_the_detail_pages_link_their_history_tab(client, rep, deal):
    contact = ContactFactory(account=deal.account)
    client.force_login(rep)
    pages = [
        reverse("prospects:account_detail", args=[deal.account_id]),
        reverse("prospects:contact_detail", args=[contact.pk]),
        reverse("pipeline:opportunity_detail", args=[deal.pk]),
    ]
    for page, history in zip(pages, _history_urls(deal, contact), strict=True):
        body = client.get(page).content.decode()
        assert f'href="{history}"' in body, page
        assert f'hx-get="{history}"' in body, page
    # The stage history keeps its place and points at every change.
    deal_page = client.get(pages[2]).content.decode()
    assert "Stage history" in deal_page
    assert "All changes →" in deal_page


def test_owner_and_teammate_see_the_history_an_outsider_finds_nothing(
    client, rep, teammate, outsider, deal
):
    contact = ContactFactory(account=deal.account)
    for user, status in ((rep, 200), (teammate, 200), (outsider, 404)):
        client.force_login(user)
        for url in _history_urls(deal, contact):
            assert client.get(url).status_code == status, (user, url)
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == status, (user, url)


def test_sales_ops_see_any_team_s_history(client, sales_ops, deal):
    client.force_login(sales_ops)
    assert client.get(reverse("pipeline:opportunity_history", args=[deal.pk])).status_code == 200


def test_an_unknown_record_s_history_is_404(client, rep):
    client.force_login(rep)
    for name in ("prospects:account_history", "prospects:contact_history"):
        assert client.get(reverse(name, args=[2**62])).status_code == 404
    assert client.get(reverse("pipeline:opportunity_history", args=[2**62])).status_code == 404


@pytest.mark.parametrize("changes", [30, 300])
def test_the_history_tab_costs_the_same_queries_however_long_the_history(
    client, rep, deal, changes, django_assert_num_queries
):
    with audit_context(door="page", detail=f"/deals/{deal.pk}/edit/", user=rep.pk):
        for n in range(changes):
            Opportunity.objects.filter(pk=deal.pk).update(value=Decimal(1000 + n))
    client.force_login(rep)
    url = reverse("pipeline:opportunity_history", args=[deal.pk])
    # The session, the user, the deal (with its access joins), then the history: the
    # events, the live row, the actors. Longer than a page both times: the first page is
    # the same 25 value changes, whatever lies behind it.
    with django_assert_num_queries(6):
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert len(response.context["changes"]) == 25


def test_a_short_history_adds_one_query_per_kind_of_record_it_names(
    client, rep, deal, django_assert_num_queries
):
    client.force_login(rep)
    # The creation names the account, the owner, the pipeline and the stage: one query
    # for each kind (however many lines name them), on top of a page's own; no actors'
    # query, since the fixture opened the deal outside any request.
    with django_assert_num_queries(5 + 4):
        response = client.get(
            reverse("pipeline:opportunity_history", args=[deal.pk]), HTTP_HX_REQUEST="true"
        )
    assert [change.action for change in response.context["changes"]] == ["created"]
