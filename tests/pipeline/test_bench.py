from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, Min, OuterRef, Subquery

from pipeline import bench
from pipeline.models import FollowUp, Sequence, SoeStep, StageChange
from pipeline.selectors import opportunities_visible_to
from salesflow.core.models import User

pytestmark = pytest.mark.django_db

PAGES = {
    "board",
    "accounts",
    "accounts, last page",
    "accounts, filtered",
    "deal, long history",
    "dashboard",
}


def run_bench(tmp_path, name: str) -> tuple[str, dict]:
    out = StringIO()
    path = tmp_path / f"{name}.json"
    call_command("bench", opportunities=200, requests=2, warmup=1, json=str(path), stdout=out)
    return out.getvalue(), json.loads(path.read_text())


@pytest.mark.postgres
def test_bench_measures_every_page_as_admin_and_busy_rep_then_reuses_the_data_set(tmp_path):
    printed, report = run_bench(tmp_path, "first")
    results = report["pages"]
    assert {result["label"] for result in results} == PAGES
    assert {result["user"] for result in results} == {"bench-admin", report["busy_rep"]["username"]}
    assert len(results) == 2 * len(PAGES)
    for result in results:
        assert result["status"] == 200, result
        assert len(result["samples_ms"]) == 2
        assert f"| {result['label']} | {result['user']} | {result['median_ms']} |" in printed
    assert "| page | user | median ms | p95 ms | queries | status |" in printed
    assert report["build"]["added"]["opportunities"] == 200
    assert report["dataset"]["opportunities"] == 200

    # The promised shape: a history for every deal, starting with "Deal opened" when the
    # deal was created, closed deals with a reason that fits, some skipped stages.
    deals = bench.bench_opportunities()
    assert deals.count() == 200
    first = StageChange.objects.filter(opportunity=OuterRef("pk")).order_by("at", "pk")
    shaped = deals.annotate(
        moves=Count("stage_changes"),
        first_at=Subquery(first.values("at")[:1]),
        first_note=Subquery(first.values("note")[:1]),
        first_from=Subquery(first.values("from_stage")[:1]),
    )
    assert not shaped.filter(moves=0).exists()
    assert not shaped.exclude(created_at=F("first_at")).exists()
    assert set(shaped.values_list("first_note", "first_from").distinct()) == {("Deal opened", None)}
    assert StageChange.objects.filter(from_stage__isnull=True).count() == 200
    closed = list(deals.filter(closed_at__isnull=False).select_related("stage", "close_reason"))
    assert 0.45 < len(closed) / 200 < 0.75
    for deal in closed:
        assert deal.stage.is_closed
        assert deal.close_reason is not None
        assert deal.close_reason.fits(deal.stage.outcome)
    assert not deals.filter(closed_at__isnull=True, stage__outcome="won").exists()
    skips = StageChange.objects.filter(
        from_stage__outcome="open",
        to_stage__outcome="open",
        to_stage__position__gt=F("from_stage__position") + 1,
    )
    assert skips.exists()
    # The deal page shows the longest history the busy rep can open; deal 0 always has
    # a long one.
    rep = User.objects.get(username=report["busy_rep"]["username"])
    visible = opportunities_visible_to(rep).annotate(moves=Count("stage_changes"))
    longest = visible.aggregate(most=Max("moves"))["most"]
    assert report["long_history_deal"]["stage_changes"] == longest
    assert deals.get(name__startswith="bench-000000 ").stage_changes.count() >= 15
    # Several conversations per account, SOEs on a good share of deals, some follow-ups.
    accounts = bench.bench_accounts().annotate(talks=Count("conversations"))
    assert accounts.aggregate(fewest=Min("talks"))["fewest"] >= 3
    assert 0.25 < Sequence.objects.count() / 200 < 0.6
    assert SoeStep.objects.filter(status="done").exists()
    assert {"keen", "lukewarm"} <= set(Sequence.objects.values_list("reception", flat=True))
    assert FollowUp.objects.filter(status="held").exists()

    _, again = run_bench(tmp_path, "again")
    assert again["build"]["added"] == {}
    assert bench.bench_opportunities().count() == 200


@pytest.mark.postgres
def test_bench_tops_up_a_smaller_data_set_without_touching_it():
    bench.build(30)
    before = dict(bench.bench_opportunities().values_list("pk", "updated_at"))
    added = bench.build(45)
    assert added["existed"] == 30
    assert added["added"]["opportunities"] == 15
    assert bench.bench_opportunities().count() == 45
    kept = dict(bench.bench_opportunities().filter(pk__in=before).values_list("pk", "updated_at"))
    assert kept == before


def test_bench_refuses_sqlite(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("bench", opportunities=10, stdout=StringIO())
