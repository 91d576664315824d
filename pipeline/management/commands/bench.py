"""manage.py bench: build (or top up) the benchmark data set, then time the main pages.

Measure, don't guess: every page is requested through Django's test client in this
process, so the time is the server's own (URL routing, middleware, queries, templates)
without a network or a web server in front, and the query count is exact.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from argparse import ArgumentTypeError
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pipeline import bench
from pipeline.models import (
    FollowUp,
    Opportunity,
    Sequence,
    SoeChange,
    SoeStep,
    Stage,
    StageChange,
)
from prospects import selectors as prospect_selectors
from prospects.models import Account, AccountEvent, Contact, Conversation, Segment
from prospects.views import ACCOUNTS_PER_PAGE
from salesflow.core.models import User


@dataclass(frozen=True)
class Page:
    label: str
    user: User
    url: str


@dataclass(frozen=True)
class Result:
    label: str
    user: str
    url: str
    median_ms: float
    p95_ms: float
    queries: str  # "12", or "12-14" when requests of the same page ran different counts
    sql_ms: float  # median time spent in the database
    status: int  # the first status other than 200, else 200
    bytes: int
    samples_ms: list[float]


def pages(*, admin: User, rep: User, deal: Opportunity, segment: Segment | None) -> list[Page]:
    """What is measured, in the order of the table: each page as someone who sees every
    team's data and as the rep who owns the most deals. Add pages here."""
    board = reverse("pipeline:board")
    accounts = reverse("prospects:account_list")
    filters = {"has_problem": "yes", **({"segment": segment.pk} if segment else {})}
    filtered = f"{accounts}?{urlencode(filters)}"
    deal_page = reverse("pipeline:opportunity_detail", args=[deal.pk])
    dashboard = reverse("pipeline:dashboard")
    return [
        Page("board", admin, board),
        Page("board", rep, board),
        Page("accounts", admin, accounts),
        Page("accounts", rep, accounts),
        Page("accounts, last page", admin, f"{accounts}?page={last_account_page(admin)}"),
        Page("accounts, last page", rep, f"{accounts}?page={last_account_page(rep)}"),
        Page("accounts, filtered", admin, filtered),
        Page("accounts, filtered", rep, filtered),
        Page("deal, long history", admin, deal_page),
        Page("deal, long history", rep, deal_page),
        Page("dashboard", admin, dashboard),
        Page("dashboard", rep, dashboard),
    ]


def last_account_page(user: User) -> int:
    """The account list's last page for this user: the deepest OFFSET the list pays for."""
    accounts = prospect_selectors.account_list(
        user=user, filters=prospect_selectors.AccountFilters()
    )
    return Paginator(accounts, ACCOUNTS_PER_PAGE).num_pages


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile: a value that was really measured, for any count."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def measure(client: Client, page: Page, *, requests: int, warmup: int) -> Result:
    """Warm up (caches, connections, compiled templates), then time each request."""
    # Over HTTPS: production settings redirect plain HTTP, and a redirect is not the page.
    for _ in range(warmup):
        client.get(page.url, secure=True)
    times: list[float] = []
    sql: list[float] = []
    counts: set[int] = set()
    status, size = 200, 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(page.url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
        counts.add(len(queries))
        sql.append(sum(float(query["time"]) for query in queries.captured_queries) * 1000)
        if response.status_code != 200 and status == 200:
            status = response.status_code
        size = len(response.content)
    low, high = min(counts), max(counts)
    return Result(
        label=page.label,
        user=page.user.username,
        url=page.url,
        median_ms=round(statistics.median(times), 1),
        p95_ms=round(p95(times), 1),
        queries=str(low) if low == high else f"{low}-{high}",
        sql_ms=round(statistics.median(sql), 1),
        status=status,
        bytes=size,
        samples_ms=[round(sample, 2) for sample in times],
    )


def dataset_sizes() -> dict[str, int]:
    """Rows in the tables the pages read: the whole database, demo data included."""
    deals = Opportunity.objects.all()
    return {
        "users": User.objects.count(),
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "conversations": Conversation.objects.count(),
        "account events": AccountEvent.objects.count(),
        "opportunities": deals.count(),
        "open": deals.filter(stage__outcome=Stage.Outcome.OPEN).count(),
        "won": deals.filter(stage__outcome=Stage.Outcome.WON).count(),
        "lost": deals.filter(stage__outcome=Stage.Outcome.LOST).count(),
        "stage changes": StageChange.objects.count(),
        "SOEs": Sequence.objects.count(),
        "SOE steps": SoeStep.objects.count(),
        "SOE changes": SoeChange.objects.count(),
        "follow-ups": FollowUp.objects.count(),
    }


def server_settings() -> dict[str, str]:
    """The PostgreSQL settings that change timings most, to compare runs fairly."""
    found = {}
    with connection.cursor() as cursor:
        for name in ("server_version", "jit", "autovacuum", "shared_buffers", "work_mem"):
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
    return found


def markdown_table(headers: list[str], rows: list[list[object]], *, right: int = 0) -> str:
    """A Markdown table; the last `right` columns are numbers, aligned right."""
    align = ["---"] * (len(headers) - right) + ["---:"] * right
    lines = [headers, align, *[[str(cell) for cell in row] for row in rows]]
    return "\n".join(f"| {' | '.join(line)} |" for line in lines)


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise ArgumentTypeError(f"must be at least {minimum}")
        return number

    return parse


class Command(BaseCommand):
    help = (
        "Build a benchmark data set and time the board, the account list, a deal page and "
        "the dashboard (median and p95 server time, query count, status). "
        "WARNING: it WRITES its data set (bench- teams, users, accounts, deals and their "
        "history) into the configured database and leaves it there: point DATABASE_URL at a "
        "database of its own. PostgreSQL only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--opportunities",
            type=_at_least(1),
            default=20_000,
            help="Deals in the data set (default 20000); an existing data set is topped up, "
            "never shrunk.",
        )
        parser.add_argument(
            "--requests", type=_at_least(1), default=30, help="Timed requests per page."
        )
        parser.add_argument(
            "--warmup", type=_at_least(0), default=3, help="Untimed requests per page first."
        )
        parser.add_argument("--seed", type=int, default=7, help="Seed of the data set (default 7).")
        parser.add_argument(
            "--json",
            type=Path,
            default=None,
            help="Where to write the results as JSON (default var/bench/bench-<time>.json).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                f"bench measures on PostgreSQL only, and this database is {connection.vendor}. "
                "Set DATABASE_URL=postgres://… to a database of its own: bench writes its "
                "data set into it."
            )
        begun = timezone.now()
        self.stdout.write(
            f"Building the data set of {options['opportunities']} opportunities "
            f"in {connection.settings_dict['NAME']}…"
        )
        try:
            built = bench.build(options["opportunities"], seed=options["seed"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        started = time.perf_counter()
        bench.analyze()
        built["analyze_seconds"] = round(time.perf_counter() - started, 2)
        admin = User.objects.get(username=bench.admin_username())
        rep = bench.busy_rep()
        deal = bench.long_history_deal(user=rep) if rep else None
        if rep is None or deal is None:
            raise CommandError("The data set has no rep with deals to measure as.")
        segment = Segment.objects.order_by("name").first()
        # DEBUG off as in production (no query log, no debug templates); the test client
        # sends Host: testserver, which a real deployment's ALLOWED_HOSTS does not list.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            results = self._measure(
                pages(admin=admin, rep=rep, deal=deal, segment=segment),
                requests=options["requests"],
                warmup=options["warmup"],
            )
        sizes = dataset_sizes()
        server = server_settings()
        rep_deals = Opportunity.objects.filter(owner=rep).count()
        moves = StageChange.objects.filter(opportunity=deal).count()
        self.stdout.write(self._report(built, sizes, results, server))
        self.stdout.write(
            f"\nBusy rep: {rep.username} owns {rep_deals} deals. Long-history deal: "
            f"#{deal.pk} with {moves} stage changes."
        )
        report = {
            "started_at": begun.isoformat(),
            "database": {"name": connection.settings_dict["NAME"], **server},
            "options": {
                key: options[key] for key in ("opportunities", "seed", "requests", "warmup")
            },
            "build": built,
            "dataset": sizes,
            "busy_rep": {"username": rep.username, "deals": rep_deals},
            "long_history_deal": {"pk": deal.pk, "stage_changes": moves},
            "pages": [asdict(result) for result in results],
        }
        default = Path(settings.VAR_DIR) / "bench" / f"bench-{begun:%Y%m%d-%H%M%S}.json"
        path = Path(options["json"] or default)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        self.stdout.write(f"Results written to {path}")
        failed = [result for result in results if result.status != 200]
        if failed:
            for result in failed:
                self.stderr.write(
                    self.style.ERROR(
                        f"FAILED: {result.label} as {result.user} ({result.url}) "
                        f"answered {result.status}, not 200."
                    )
                )
            raise CommandError(f"{len(failed)} of {len(results)} pages did not answer 200.")

    def _measure(self, entries: list[Page], *, requests: int, warmup: int) -> list[Result]:
        clients: dict[int, Client] = {}
        results = []
        for page in entries:
            if page.user.pk not in clients:
                # A failing page is reported with its status, not raised.
                clients[page.user.pk] = Client(raise_request_exception=False)
                clients[page.user.pk].force_login(page.user)
            results.append(measure(clients[page.user.pk], page, requests=requests, warmup=warmup))
        return results

    def _report(
        self,
        built: dict[str, Any],
        sizes: dict[str, int],
        results: list[Result],
        server: dict[str, str],
    ) -> str:
        added = built["added"]
        build = (
            f"Build: {built['seconds']} s, added {added.get('opportunities', 0)} opportunities "
            f"({sum(added.values())} rows in all), then ANALYZE {built['analyze_seconds']} s; "
            f"the data set has {built['opportunities']} bench opportunities."
        )
        if built["opportunities"] > built["asked"]:
            build += f" That is more than the {built['asked']} asked for: bench never deletes."
        table = markdown_table(
            ["page", "user", "median ms", "p95 ms", "queries", "status"],
            [[r.label, r.user, r.median_ms, r.p95_ms, r.queries, r.status] for r in results],
            right=4,
        )
        counts = markdown_table(
            ["table", "rows"], [[name, count] for name, count in sizes.items()], right=1
        )
        settings_line = ", ".join(f"{name} {value}" for name, value in server.items())
        return f"\n{build}\nPostgreSQL: {settings_line}.\n\n{counts}\n\n{table}\n"
