"""Deals by import: created in an open stage, updated through the deal services (a stage
change is a recorded move), unchanged when the file says what is stored, and the deals
export imported again changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pipeline.deals.models import Opportunity, StageChange
from prospects.models import AccountImport
from salesflow.core.audit.tracking import EVENT_MODELS
from tests.factories import AccountFactory
from tests.prospects.importing.csvfiles import upload

pytestmark = pytest.mark.django_db

HEADER = "account_name,deal_name,value,currency,stage,owner,expected_close,created\n"


def snapshot() -> dict[str, object]:
    return {
        "deals": sorted(Opportunity.objects.values_list(named=False)),
        "moves": StageChange.objects.count(),
        "audit": EVENT_MODELS[Opportunity].objects.count(),
    }


def last_job() -> AccountImport:
    return AccountImport.objects.latest("pk")


def download(client) -> str:
    return b"".join(client.get(reverse("pipeline:deal_export")).streaming_content).decode()


def test_deals_are_created_then_left_alone_on_a_second_run(client, rep, account, stages):
    client.force_login(rep)
    text = HEADER + (
        f"ST BRIGID'S HOSPITAL LTD,Bed flow,12000,gbp,Qualified,{rep.username},"
        "2027-03-31,2026-01-15\n"
        f"St Brigid's Hospital,Night shift,,,,{rep.email},,\n"
    )
    response = upload(client, text, kind="deals")
    assert response.status_code == 302
    assert last_job().status == "done", last_job().errors
    assert last_job().counts == {"deals": {"created": 2, "updated": 0, "unchanged": 0}}
    bed = Opportunity.objects.get(name="Bed flow")
    assert (bed.account, bed.value, bed.currency, bed.stage) == (
        account,
        12000,
        "GBP",
        stages["Qualified"],
    )
    assert bed.expected_close_date == dt.date(2027, 3, 31)
    assert bed.created_at.date() == dt.date(2026, 1, 15)
    assert StageChange.objects.get(opportunity=bed).at == bed.created_at
    before = snapshot()
    upload(client, text, kind="deals")
    assert last_job().counts == {"deals": {"created": 0, "updated": 0, "unchanged": 2}}
    assert snapshot() == before
    assert (
        "Deals: 0 created, 0 updated, 2 unchanged."
        in client.get(
            reverse("prospects:account_import_detail", args=[last_job().pk])
        ).content.decode()
    )


def test_an_existing_deals_stage_moves_through_the_move_service(client, rep, deal, stages):
    client.force_login(rep)
    upload(
        client, HEADER + "St Brigid's Hospital,Patient flow,50000,,Evaluation,,,\n", kind="deals"
    )
    assert last_job().status == "done", last_job().errors
    assert last_job().counts["deals"]["updated"] == 1
    deal.refresh_from_db()
    assert (deal.value, deal.stage) == (50000, stages["Evaluation"])
    move = StageChange.objects.filter(opportunity=deal).latest("pk")
    assert (move.from_stage, move.to_stage, move.note) == (
        stages["Qualified"],
        stages["Evaluation"],
        "Moved by import",
    )


def test_closing_a_deal_or_opening_one_closed_is_refused(client, rep, deal, stages):
    client.force_login(rep)
    before = snapshot()
    text = HEADER + "St Brigid's Hospital,Patient flow,,,Won,,,\n"
    text += "St Brigid's Hospital,Brand new,,,Won,,,\n"
    upload(client, text, kind="deals")
    job = last_job()
    assert job.status == "invalid"
    assert {(e["row"], e["column"]) for e in job.errors} == {(2, "stage"), (3, "stage")}
    assert "asks for a reason" in job.errors[0]["message"]
    assert snapshot() == before


def test_deal_rows_that_cannot_be_placed_are_reported(client, rep, outsider, deal, stages):
    AccountFactory(owner=outsider, name="Far Away")
    client.force_login(rep)
    before = snapshot()
    text = HEADER + (
        "Far Away,X,,,,,,\n"
        "St Brigid's Hospital,Y,-5,ZZZ,Nowhere,nobody,31/02/2027,2999-01-01\n"
        f"St Brigid's Hospital,Z,,,,{outsider.username},,\n"
    )
    upload(client, text, kind="deals")
    problems = {(e["row"], e["column"]) for e in last_job().errors}
    assert problems == {
        (2, "account_name"),
        (3, "value"),
        (3, "currency"),
        (3, "owner"),
        (3, "expected_close"),
        (3, "created"),
        (4, "owner"),
    }
    assert snapshot() == before
    upload(
        client, HEADER + "St Brigid's Hospital,Unknown deal,,,,,,\n", kind="deals", mode="update"
    )
    assert (
        last_job().errors[0]["message"]
        == "“St Brigid's Hospital” has no deal named “Unknown deal”."
    )


def test_the_deals_export_imports_again_without_a_change(
    client, rep, teammate, manager, deal, open_deal, stages
):
    open_deal(teammate, stage="Evaluation", currency="USD", expected_close_date=dt.date(2027, 1, 2))
    open_deal(rep, stage="Qualified", name="=SUM(A1)")
    for user in (rep, manager):
        client.force_login(user)
        before = snapshot()
        upload(client, download(client), kind="deals", mode="update")
        assert last_job().status == "done", last_job().errors
        assert last_job().counts["deals"] == {"created": 0, "updated": 0, "unchanged": 3}
        assert snapshot() == before


def test_the_deals_export_shows_only_what_the_user_may_see(
    client, rep, teammate, manager, outsider, open_deal, stages
):
    open_deal(rep, name="Rep's")
    open_deal(teammate, name="Mate's")
    open_deal(outsider, name="Outsider's")
    seen = {}
    for user in (rep, teammate, manager, outsider):
        client.force_login(user)
        lines = download(client).splitlines()
        assert lines[0] == HEADER.strip().replace(",created", ",created").replace(
            "stage,owner", "stage,pipeline,owner"
        )
        seen[user] = {line.split(",")[1] for line in lines[1:]}
    assert seen[rep] == seen[teammate] == seen[manager] == {"Rep's", "Mate's"}
    assert seen[outsider] == {"Outsider's"}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_large_deals_file_runs_on_the_worker(
    client, rep, standard, stages, celery_worker_thread, settings
):
    import time

    settings.SALESFLOW_IMPORT_ASYNC_ROWS = 5
    AccountFactory(owner=rep, name="Harbour Trust")
    rows = "".join(f"Harbour Trust,Deal {n},{n}00,,Qualified,,,\n" for n in range(8))
    client.force_login(rep)
    upload(client, HEADER + rows, kind="deals")
    job = last_job()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status not in {"queued", "running"}:
            break
        time.sleep(0.2)
    assert job.status == "done", job.errors
    assert job.counts == {"deals": {"created": 8, "updated": 0, "unchanged": 0}}
    assert Opportunity.objects.filter(stage=stages["Qualified"]).count() == 8
