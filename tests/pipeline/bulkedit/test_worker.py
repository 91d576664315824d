"""Bulk edits on real Celery workers over Redis: 1,000 deals moved on the worker with the
page's progress; and a worker SIGKILLed mid-job, then a new one taking it
over: nothing lost, nothing doubled (each deal one result and one move)."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from django.db import connection
from django.urls import reverse

from pipeline.benchmark.bulk import make_deals
from pipeline.bulkedit import services
from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from pipeline.deals.models import StageChange
from tests.factories import AccountFactory
from tests.processes import celery_worker, end, kill_tree, process_env, start_redis


def exactly_once(job: BulkEdit, ids: list[int], stage) -> None:
    job.refresh_from_db()
    assert job.status == "done"
    assert (job.changed_count, job.unchanged_count, job.refused_count) == (len(ids), 0, 0)
    rows = BulkEditRow.objects.filter(job=job)
    assert rows.count() == len(ids)
    assert set(rows.values_list("deal_id", flat=True)) == set(ids)
    moves = StageChange.objects.filter(opportunity_id__in=ids, to_stage=stage)
    assert moves.count() == len(ids)
    assert moves.values("opportunity_id").distinct().count() == len(ids)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_thousand_deals_move_on_the_worker_with_progress(
    client, rep, stages, celery_worker_thread
):
    account = AccountFactory(owner=rep)
    ids = make_deals(account=account, owner=rep, stage=stages["Qualified"], count=1000)
    client.force_login(rep)
    started = time.monotonic()
    # As the page starts it for "all that match" (1,000 ticked boxes would pass Django's
    # limit on a request's fields).
    job = services.bulk_edit_start(
        actor=rep, action="move", params={"stage": stages["Evaluation"].pk}, ids=ids
    )
    assert job.status == "queued"
    url = reverse("pipeline:deal_bulk_detail", args=[job.pk])
    seen = []
    while True:
        fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        shown = re.search(r"([\d,]+) of 1,000", fragment)
        if shown:
            seen.append(int(shown.group(1).replace(",", "")))
        if "every 1s" not in fragment:
            break
        assert time.monotonic() - started < 120, f"stuck at {seen[-1:]} of 1,000"
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    assert "1,000 moved." in fragment
    assert seen == sorted(seen)  # progress only goes forward
    exactly_once(job, ids, stages["Evaluation"])
    job.refresh_from_db()
    worked = (job.finished_at - job.started_at).total_seconds()
    print(f"\n1,000 deals moved on the worker in {worked:.1f} s ({elapsed:.1f} s from the start)")
    # The 30 s goal is measured by manage.py bench (its "bulk" part fails the run when it is
    # missed), on a machine of its own; this test shares its cores with the rest of the suite,
    # so it only catches a run that stalls.
    assert worked <= 120


DEALS = 600


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_loses_nothing_and_doubles_nothing(rep, stages, settings, tmp_path):
    from celery import Celery

    account = AccountFactory(owner=rep)
    ids = make_deals(account=account, owner=rep, stage=stages["Qualified"], count=DEALS)
    job = BulkEdit.objects.create(
        actor=rep,
        action="move",
        params={"stage": stages["Evaluation"].pk, "note": ""},
        deal_ids=ids,
        total=len(ids),
    )
    redis, port = start_redis(tmp_path)
    # A dead run's lease lapses after 2 s; the resume sweep (beat's, every minute in
    # production) is sent by the test every second.
    env = process_env(
        settings, REDIS_URL=f"redis://127.0.0.1:{port}/0", SALESFLOW_BULK_EDIT_LEASE_SECONDS="2"
    )

    def worker() -> subprocess.Popen:
        return celery_worker(settings, env, "--concurrency", "2")

    courier = Celery("courier", broker=f"redis://127.0.0.1:{port}/0")
    first, second = worker(), None
    try:
        courier.send_task("pipeline.bulkedit.tasks.run_bulk_edit", args=[job.pk])
        rows = BulkEditRow.objects.filter(job=job)
        deadline = time.monotonic() + 120
        while rows.count() < 60:
            assert time.monotonic() < deadline, "the worker never got going"
            time.sleep(0.02)
        kill_tree(first)  # mid-job
        halfway = rows.count()
        assert halfway < DEALS, "killed too late to prove anything"
        # Results and moves, read in one statement (one snapshot): the batch the worker had
        # open went back whole, so every move made has its result and no more.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM pipeline_bulkeditrow WHERE job_id = %s), "
                "(SELECT count(*) FROM pipeline_stagechange "
                "WHERE opportunity_id = ANY(%s) AND to_stage_id = %s)",
                [job.pk, ids, stages["Evaluation"].pk],
            )
            results_kept, moves_made = cursor.fetchone()
        assert results_kept == moves_made
        job.refresh_from_db()
        assert job.status == "running"
        assert job.processed == halfway  # every result kept is a change made, and no more

        second = worker()
        # A duplicate delivery of the job, racing the resumed run on the pool's other process.
        courier.send_task("pipeline.bulkedit.tasks.run_bulk_edit", args=[job.pk])
        deadline = time.monotonic() + 180
        while BulkEdit.objects.get(pk=job.pk).status != "done":
            assert time.monotonic() < deadline, f"only {rows.count()} of {DEALS} done"
            courier.send_task("pipeline.bulkedit.tasks.resume_bulk_edits")
            courier.send_task("pipeline.bulkedit.tasks.run_bulk_edit", args=[job.pk])
            time.sleep(1)
        time.sleep(2)  # a second run still going would show now
    finally:
        end(first, second, redis)
        courier.close()
    exactly_once(job, ids, stages["Evaluation"])
    print(f"\n{DEALS} deals: {halfway} before the kill, the rest after; each moved once")
