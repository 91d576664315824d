"""The bulk edit's pages: posting a selection, and the progress and summary page, for the
owner, a teammate, the manager, sales ops and an outsider."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.bulkedit import services
from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from pipeline.deals.models import Opportunity, StageChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BULK = reverse("pipeline:deal_bulk")


def post(client, user, data):
    client.force_login(user)
    return client.post(BULK, data)


def test_a_rep_moves_ticked_deals_and_reads_the_summary(client, rep, deals, stages):
    ids = [deal.pk for deal in deals.values()]
    response = post(client, rep, {"action": "move", "stage": stages["Evaluation"].pk, "ids": ids})
    job = BulkEdit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:deal_bulk_detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "2 moved, 2 refused." in page
    assert "Move to Standard: Evaluation — 4 deals" in page
    teammates = deals["teammate"]
    link = reverse("pipeline:opportunity_detail", args=[teammates.pk])
    assert f'<a href="{link}">{teammates.account.name} — {teammates.name}</a>' in page
    assert "This deal is read-only for you." in page
    # The outsider's deal: its id, "not found", never its name or a link.
    outsiders = deals["outsider"]
    assert f"#{outsiders.pk}" in page
    assert outsiders.account.name not in page
    assert reverse("pipeline:opportunity_detail", args=[outsiders.pk]) not in page
    moved = client.get(response["Location"] + "?show=changed").content.decode()
    assert "Moved from Qualified to Evaluation." in moved
    assert "every 1s" not in page  # finished: no polling


def test_an_outsiders_ids_change_nothing(client, outsider, rep, deals, stages):
    ours = [deal for name, deal in deals.items() if name != "outsider"]
    before = list(Opportunity.objects.order_by("pk").values_list("stage_id", "owner_id"))
    moves = StageChange.objects.count()
    response = post(
        client,
        outsider,
        {"action": "move", "stage": stages["Evaluation"].pk, "ids": [d.pk for d in ours]},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "0 moved, 3 refused." in page
    for deal in ours:
        assert deal.name not in page
    assert list(Opportunity.objects.order_by("pk").values_list("stage_id", "owner_id")) == before
    assert StageChange.objects.count() == moves


def test_the_manager_moves_the_teams_deals(client, manager, deals, stages):
    ids = [deals["mine"].pk, deals["teammate"].pk, deals["outsider"].pk]
    response = post(
        client, manager, {"action": "move", "stage": stages["Evaluation"].pk, "ids": ids}
    )
    page = client.get(response["Location"]).content.decode()
    assert "2 moved, 1 refused." in page
    assert Opportunity.objects.get(pk=deals["teammate"].pk).stage == stages["Evaluation"]
    assert Opportunity.objects.get(pk=deals["outsider"].pk).stage == stages["Qualified"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("rep", 200), ("teammate", 404), ("manager", 404), ("outsider", 404), ("sales_ops", 200)],
)
def test_only_its_maker_and_sales_ops_see_a_job(client, request, rep, deals, stages, who, status):
    job = services.bulk_edit_start(
        actor=rep, action="move", params={"stage": stages["Evaluation"].pk}, ids=[deals["mine"].pk]
    )
    viewer = UserFactory(role="sales_ops") if who == "sales_ops" else request.getfixturevalue(who)
    client.force_login(viewer)
    url = reverse("pipeline:deal_bulk_detail", args=[job.pk])
    assert client.get(url).status_code == status
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, rep, deals, stages):
    response = client.post(BULK, {"action": "move", "stage": stages["Evaluation"].pk, "ids": [1]})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert not BulkEdit.objects.exists()


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ({"action": "", "ids": ["1"]}, "This field is required."),
        ({"action": "move", "ids": ["1"]}, "Move to: This field is required."),
        ({"action": "move", "stage": "x", "ids": ["1"]}, "Move to: Select a valid choice."),
        (
            {"action": "close_date", "expected_close_date": "2026-02-30", "ids": ["1"]},
            "Expected close: Enter a valid date.",
        ),
        (
            {"action": "close_date", "expected_close_date": "1999-12-31", "ids": ["1"]},
            "Pick a date between 2000 and 2100.",
        ),
        ({"action": "close_lost", "ids": ["1"]}, "Reason lost: This field is required."),
        ({"action": "owner", "ids": ["1"]}, "New owner: This field is required."),
        ({"action": "delete", "ids": ["1"]}, "Select a valid choice."),
        ({"action": "move", "stage": "STAGE", "ids": []}, "Tick at least one deal."),
    ],
)
def test_unusable_input_says_why_and_keeps_nothing(client, rep, deals, stages, data, line):
    if data.get("stage") == "STAGE":
        data = {**data, "stage": stages["Evaluation"].pk}
    response = post(client, rep, data)
    assert response.status_code == 422
    assert line in response.content.decode()
    assert not BulkEdit.objects.exists()


def test_progress_while_running_then_the_summary(client, rep, deals, stages):
    job = BulkEdit.objects.create(
        actor=rep,
        action="move",
        params={"stage": stages["Evaluation"].pk, "note": ""},
        deal_ids=[deals["mine"].pk, deals["mine_too"].pk],
        total=2,
        status="running",
        changed_count=1,
    )
    client.force_login(rep)
    url = reverse("pipeline:deal_bulk_detail", args=[job.pk])
    running = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert "1 of 2" in running
    assert "<html" not in running  # the fragment only
    BulkEdit.objects.filter(pk=job.pk).update(status="done", changed_count=2)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in done
    assert "2 moved." in done


def _job_with_rows(rep, stages, count):
    job = BulkEdit.objects.create(
        actor=rep,
        action="move",
        params={"stage": stages["Evaluation"].pk, "note": ""},
        deal_ids=list(range(1, count + 1)),
        total=count,
        status="done",
        refused_count=count,
    )
    BulkEditRow.objects.bulk_create(
        BulkEditRow(
            job=job, deal_id=n, outcome="refused", message=services.NOT_FOUND, at=timezone.now()
        )
        for n in range(1, count + 1)
    )
    return job


@pytest.mark.parametrize("count", [3, 250])
def test_the_summary_costs_the_same_at_any_size(
    client, rep, stages, count, django_assert_num_queries
):
    job = _job_with_rows(rep, stages, count)
    client.force_login(rep)
    url = reverse("pipeline:deal_bulk_detail", args=[job.pk])
    client.get(url)
    with django_assert_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200


def test_the_summary_pages_through_many_results(client, rep, stages):
    job = _job_with_rows(rep, stages, 250)
    client.force_login(rep)
    url = reverse("pipeline:deal_bulk_detail", args=[job.pk])
    seen = []
    page = client.get(url).content.decode()
    while True:
        seen.extend(int(n) for n in re.findall(r"<td>#(\d+)</td>", page))
        more = re.search(r'href="\?show=refused&amp;after=(\d+)"', page)
        if not more:
            break
        page = client.get(url, {"show": "refused", "after": more.group(1)}).content.decode()
    assert seen == list(range(1, 251))


def test_all_that_match_the_tables_filters(client, rep, teammate, deals, stages, open_deal):
    evaluating = open_deal(rep, stage="Evaluation")
    query = f"owner={rep.pk}&stage={stages['Qualified'].pk}&sort=-value"
    response = post(
        client,
        rep,
        # The ticked ids are ignored when all that match is chosen.
        {
            "action": "close_date",
            "expected_close_date": "2027-06-30",
            "all_matching": "1",
            "query": query,
            "ids": [deals["teammate"].pk],
        },
    )
    job = BulkEdit.objects.get()
    assert response.status_code == 302
    assert sorted(job.deal_ids) == sorted([deals["mine"].pk, deals["mine_too"].pk])
    assert job.changed_count == 2
    assert Opportunity.objects.get(pk=evaluating.pk).expected_close_date is None


def test_all_that_match_reaches_only_what_the_user_sees(client, outsider, deals, stages):
    ours = [deal.pk for name, deal in deals.items() if name != "outsider"]
    response = post(
        client,
        outsider,
        {
            "action": "move",
            "stage": stages["Evaluation"].pk,
            "all_matching": "1",
            "query": "status=open",
        },
    )
    assert response.status_code == 302
    job = BulkEdit.objects.get()
    assert job.deal_ids == [deals["outsider"].pk]
    assert not set(ours) & set(job.deal_ids)
    assert Opportunity.objects.filter(pk__in=ours, stage=stages["Qualified"]).count() == 3


def test_all_that_match_beyond_the_limit_is_refused(client, rep, deals, stages, settings):
    settings.SALESFLOW_BULK_EDIT_MAX_ROWS = 1
    response = post(
        client,
        rep,
        {
            "action": "move",
            "stage": stages["Evaluation"].pk,
            "all_matching": "1",
            "query": f"owner={rep.pk}",
        },
    )
    assert response.status_code == 422
    assert "Pick at most 1 deals at a time; narrow the filters." in response.content.decode()
    assert not BulkEdit.objects.exists()


def test_more_ticked_boxes_than_a_request_may_carry_is_a_400_not_a_500(client, rep, stages):
    response = post(
        client,
        rep,
        {"action": "move", "stage": stages["Evaluation"].pk, "ids": list(range(1, 1200))},
    )
    assert response.status_code == 400
    assert not BulkEdit.objects.exists()


def test_the_deals_table_carries_the_bulk_bar(
    client, rep, teammate, manager, deals, stages, reason
):
    client.force_login(rep)
    page = client.get(reverse("pipeline:deal_table"), {"status": "open"}).content.decode()
    assert '<form id="bulk-form" method="post" action="/deals/bulk/"' in page
    assert f'name="ids" value="{deals["mine"].pk}" form="bulk-form"' in page
    assert '<input type="hidden" name="query" value="status=open' in page
    for control in (
        "bulk-action",
        "bulk-owner-owner",
        "bulk-move-stage",
        "bulk-close_date-expected_close_date",
        "bulk-close_lost-reason",
        "bulk-note",
        "bulk-all",
    ):
        assert f'for="{control}"' in page, control  # every control has its label
    # A rep may give deals only to themselves; the manager to anyone in the team.
    bar = page[page.index('id="bulk-owner-owner"') : page.index('data-bulk-for="move"')]
    assert f'value="{rep.pk}"' in bar
    assert f'value="{teammate.pk}"' not in bar
    assert reason["lost"].name in page
    assert reason["won"].name not in page[page.index('id="bulk-close_lost-reason"') :]
    client.force_login(manager)
    page = client.get(reverse("pipeline:deal_table"), {"status": "open"}).content.decode()
    bar = page[page.index('id="bulk-owner-owner"') : page.index('data-bulk-for="move"')]
    assert f'value="{teammate.pk}"' in bar


@pytest.mark.parametrize(
    "query",
    [
        "view=abc",
        "view=99999999999999999999999",
        "sort=-nothing",
        "after=%21%21%21",
        "close_from=2026-02-30",
        "owner=x&stage=-1",
        "cols=,,,",
    ],
)
def test_all_that_match_with_a_mangled_address_never_fails(client, rep, deals, stages, query):
    response = post(
        client,
        rep,
        {"action": "move", "stage": stages["Evaluation"].pk, "all_matching": "1", "query": query},
    )
    assert response.status_code in {302, 422}
    if response.status_code == 302:  # the filters that parse, as the table would show them
        job = BulkEdit.objects.get()
        assert deals["outsider"].pk not in job.deal_ids


@pytest.mark.parametrize(
    ("action", "params", "heading"),
    [
        ("owner", {"owner": "REP"}, "Give to Rita Rep"),
        ("close_date", {"expected_close_date": "2027-06-30"}, "Expected to close on 30 Jun 2027"),
        ("close_lost", {"reason": "LOST"}, "Close as lost: "),
    ],
)
def test_the_summary_says_what_was_asked(client, rep, deals, reason, action, params, heading):
    params = {
        name: rep.pk if value == "REP" else reason["lost"].pk if value == "LOST" else value
        for name, value in params.items()
    }
    job = services.bulk_edit_start(actor=rep, action=action, params=params, ids=[deals["mine"].pk])
    client.force_login(rep)
    page = client.get(reverse("pipeline:deal_bulk_detail", args=[job.pk])).content.decode()
    assert f"{heading}" in page
