from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Q

from pipeline.benchmark.report import dataset_sizes
from pipeline.bulkedit.models import BulkEdit
from pipeline.deals.models import Opportunity, Pipeline
from pipeline.followups.models import FollowUp
from pipeline.reviews.models import Review
from prospects.models import Account
from salesflow.core.models import IdempotencyKey, User

pytestmark = pytest.mark.django_db

# Every page, as the users who open it; "board: …" once per pipeline.
PAGES = {
    "accounts, page 1",
    "accounts, filtered, page 1",
    "contacts, page 1",
    "contacts, filtered and sorted, page 1",
    "account, most conversations",
    "deal, longest history",
    "SOE, most steps",
    "SOE, on the biggest account",
    "Today (home)",
    "dashboard, whole company",
    "dashboard, whole company, worked out",
    "dashboard, one team",
    "dashboard, own figures",
    "review board, finished",
    "API: deals, page 1",
    "API: deals, page 200 by cursor, or last",
    "deals table, default view",
    "deals table, open in a segment by value",
}


def _page_of(label: str) -> str:
    """The page a label names, without where a deep page starts ("(row 4,976)", "(p. 3)")."""
    return re.split(r" \((?:row|p\.) ", label)[0]


POSTS = {
    "POST log a conversation",
    "POST API: log a conversation",
    "POST move a stage",
    "POST plan a follow-up",
}


def run_bench(tmp_path, **options) -> tuple[str, dict]:
    out = StringIO()
    path = tmp_path / "bench.json"
    defaults = {
        "requests": 2,
        "warmup": 1,
        "rerun": 1,
        "sweep": [40, 150],
        "bulk": 60,
        "duration": 2,
    }
    call_command("bench", **{**defaults, **options}, json=str(path), stdout=out)
    return out.getvalue(), json.loads(path.read_text())


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)  # the sweep's workers and gunicorn read committed rows
def test_bench_measures_pages_posts_sweep_and_throughput_and_leaves_the_data_set_as_it_was(
    tmp_path,
):
    call_command("seed_scale", size="small", stdout=StringIO())
    admin = User.objects.get(username="scale-admin")
    busiest = (
        User.objects.filter(role=User.Role.REP)
        .annotate(
            open_deals=Count("opportunities", filter=Q(opportunities__closed_at__isnull=True))
        )
        .order_by("-open_deals", "pk")
        .first()
    )
    most_items = (
        Review.objects.filter(phase=Review.Phase.SUMMARY)
        .annotate(written=Count("items"))
        .aggregate(most=Max("written"))["most"]
    )
    before = dataset_sizes()

    printed, report = run_bench(tmp_path)

    # Who is measured comes from the data: the admin, the rep with the most open deals, the
    # deal with the longest history among the rep's, the finished review with most items.
    subjects = report["subjects"]
    assert subjects["admin"] == admin.username
    assert subjects["rep"] == busiest.username
    longest = (
        Opportunity.objects.filter(owner=busiest)
        .annotate(moves=Count("stage_changes"))
        .aggregate(most=Max("moves"))["most"]
    )
    assert subjects["long_history_deal"]["stage_changes"] == longest
    chosen = Review.objects.annotate(written=Count("items")).get(pk=subjects["review"]["pk"])
    assert (chosen.phase, chosen.written) == (Review.Phase.SUMMARY, most_items)
    assert subjects["review"]["items"] == most_items

    results = report["pages"]
    gets = [result for result in results if result["method"] == "GET"]
    labels = {result["label"] for result in gets}
    assert labels >= PAGES
    boards = {label for label in labels if label.startswith("board: ")}
    assert boards == {f"board: {pipeline.name}" for pipeline in Pipeline.objects.all()}
    # The lists' deep pages are reached by the keyset cursor "load more" carries.
    deep = {label for label in labels if " or last (row " in label}
    assert {label.split(" (row ")[0] for label in deep} == {
        "accounts, from row 4,976 or last",
        "accounts, filtered, from row 4,976 or last",
        "contacts, from row 4,976 or last",
    }
    deep_deals = {label for label in labels if " or last (p. " in label}
    assert {label.split(" (p. ")[0] for label in deep_deals} == {
        "deals table, page 200 by cursor, or last",
    }
    assert any(label.startswith("search ") for label in labels)
    for result in gets:
        assert result["status"] == 200, result
        assert len(result["samples_ms"]) == 2
        assert f"| {result['label']} | {result['user']} | {result['median_ms']} |" in printed
    # Each page as the admin and the rep, but the dashboards: the company's as the admin,
    # the team's as its manager and the admin, the rep's own as the rep.
    both = {admin.username, busiest.username}
    dashboards = {
        "dashboard, whole company": {admin.username},
        "dashboard, whole company, worked out": {admin.username},
        "dashboard, one team": {busiest.team.manager.username, admin.username},
        "dashboard, own figures": {busiest.username},
    }
    for label in labels:
        # A deep page's label names where it starts, which differs per user.
        users = {r["user"] for r in gets if _page_of(r["label"]) == _page_of(label)}
        assert users == dashboards.get(label, both), label
    # After the warm-up the dashboard reads the figures kept for it; the "worked out" row
    # drops them before each request, and reads every figure.
    by_label = {result["label"]: result for result in gets}
    kept, unkept = (
        by_label["dashboard, whole company"],
        by_label["dashboard, whole company, worked out"],
    )
    assert int(kept["queries"]) + 20 < int(unkept["queries"])  # the same count every time

    # Each POST, as the admin and as the rep, wrote what it says (one conversation, one
    # stage change, one follow-up per request) and was undone.
    posts = [result for result in results if result["method"] == "POST"]
    assert {(r["label"], r["user"]) for r in posts} == {
        (label, user) for label in POSTS for user in (admin.username, busiest.username)
    }
    for result in posts:
        assert result["status"] == result["expected_status"], result
        assert result["effect"]["expected"] == 3  # one warm-up and two timed requests
        assert result["effect"]["found"] == 3, result
        assert result["effect"]["undone"] is True
    assert not Account.objects.filter(name__startswith="bench-harness").exists()
    assert not IdempotencyKey.objects.filter(key__startswith="bench-harness").exists()

    # Each due follow-up surfaced exactly once by the two racing workers, then removed.
    assert [sweep["followups"] for sweep in report["sweep"]] == [40, 150]
    for sweep in report["sweep"]:
        assert sweep["workers"] == 2
        assert sweep["exactly_once"] is True, sweep
        assert sweep["surfaced_once"] == sweep["followups"]
        assert sweep["surfaced_twice"] == 0
        assert sum(sweep["shares"]) == sweep["followups"]
        assert sweep["left_behind"] == 0
    assert not FollowUp.objects.filter(purpose__startswith="bench-harness").exists()

    # The bulk move: each throwaway deal moved exactly once, then all of it removed.
    moved = report["bulk"]
    assert (moved["deals"], moved["changed"], moved["moves_recorded"]) == (60, 60, 60)
    assert moved["exactly_once"] is True, moved
    assert moved["left_behind"] is False
    assert not BulkEdit.objects.exists()

    load = report["throughput"]
    assert load["problems"] == []
    assert load["requests"] > 0
    assert load["errors"] == 0, load
    assert load["redirects"] == 0
    assert set(load["preflight"].values()) == {200}

    assert report["dataset_changed"] == {}
    assert dataset_sizes() == before
    for heading in (
        "| page | user | median ms | p95 ms | queries | slowest query ms | status |",
        "| due follow-ups | each worker surfaced | surfaced exactly once | workers |",
        "| moved exactly once | deals | seconds | ms a deal | goal s | setup s |",
        "| server | connections | seconds | requests | requests/s | p50 ms | p99 ms | errors |",
    ):
        assert heading in printed


@pytest.mark.django_db(transaction=True)
def test_bench_says_what_is_missing_on_an_empty_database():
    # Throughput left out: without Redis, bench would stop earlier, asking for it (below).
    with pytest.raises(CommandError, match="No active admin"):
        call_command("bench", "--skip", "throughput", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_bench_asks_for_redis_before_measuring_throughput(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="export REDIS_URL"):
        call_command("bench", stdout=StringIO())
