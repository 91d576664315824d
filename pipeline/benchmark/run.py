"""One run of the harness: every part in turn on the data set the database holds, and the
checks that the run did what it says (pages answered, POSTs done and undone, each follow-up
surfaced once, no throughput errors, the data set left as it was)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from pipeline.benchmark import actions, bulk, report, sweep, throughput
from pipeline.benchmark.pages import Page, pages
from pipeline.benchmark.subjects import NothingToMeasure, Subjects, find_subjects
from pipeline.benchmark.timing import Result, measure
from pipeline.dashboard import snapshot
from pipeline.dashboard.scope import Scope

PARTS = ("pages", "posts", "sweep", "bulk", "throughput")


def _wanted(found: list[Page], options: Options) -> list[Page]:
    if not options.only_pages:
        return found
    return [page for page in found if any(part in page.label for part in options.only_pages)]


class Refused(Exception):
    """The run cannot start, or a part cannot run; the message says why and what to do."""


@dataclass
class Options:
    """How much to measure; written as they are into the results."""

    requests: int = 30  # timed requests a page
    warmup: int = 3  # untimed requests a page first
    rerun: int = 5  # times the slowest query of a page is run again alone
    sweep: list[int] = field(default_factory=lambda: [5_000, 100_000])  # due follow-ups
    sweep_workers: int = 2
    bulk: int = 1_000  # deals moved by one bulk edit
    duration: int = 30  # seconds of wrk load
    connections: int = 16  # wrk's
    workers: int = field(default_factory=throughput.default_workers)  # gunicorn's
    skip: list[str] = field(default_factory=list)  # parts of PARTS left out
    # Measure only the pages whose label contains one of these (none: every page).
    only_pages: list[str] = field(default_factory=list)


@dataclass
class Run:
    """Everything one run measured."""

    started_at: datetime
    options: Options
    analyze_seconds: float | None
    dataset: dict[str, int]  # row counts before the run
    dataset_changed: dict[str, list[int]]  # table: [before, after], for each that changed
    server: dict[str, str]
    subjects: Subjects
    measured: list[Result]
    sweeps: list[sweep.SweepResult]
    bulk: bulk.BulkResult | None
    load: throughput.ThroughputResult | None

    def results(self) -> dict[str, Any]:
        """The run as the JSON file keeps it, every sample included."""
        load = self.load
        return {
            "started_at": self.started_at.isoformat(),
            "database": {"name": connection.settings_dict["NAME"], **self.server},
            "analyze_seconds": self.analyze_seconds,
            "options": asdict(self.options),
            "dataset": self.dataset,
            "dataset_changed": self.dataset_changed,
            "subjects": self.subjects.facts,
            "pages": [asdict(result) for result in self.measured],
            "sweep": [
                {**asdict(result), "exactly_once": result.exactly_once} for result in self.sweeps
            ],
            "bulk": (
                {**asdict(self.bulk), "exactly_once": self.bulk.exactly_once, "ok": self.bulk.ok}
                if self.bulk
                else None
            ),
            "throughput": {**asdict(load), "errors": load.errors, "ok": load.ok} if load else None,
        }

    def failures(self) -> list[str]:
        """What did not do what it says; empty when the run passed."""
        failures = [
            f"{r.method} {r.label} as {r.user} ({r.url}): status {r.status} "
            f"(expected {r.expected_status}), {r.effect or 'no effect check'}"
            for r in self.measured
            if not r.ok
        ]
        failures += [
            f"sweep of {s.followups}: not each surfaced exactly once ({s.surfaced_once} once, "
            f"{s.surfaced_twice} twice, shares {s.shares}, {s.errors}); {s.left_behind} left"
            for s in self.sweeps
            if not s.exactly_once or s.left_behind
        ]
        moved = self.bulk
        if moved is not None and not moved.ok:
            failures.append(
                f"bulk move of {moved.deals:,} deals: {moved.seconds} s (goal "
                f"{moved.goal_seconds} s), {moved.changed:,} moved, {moved.moves_recorded:,} "
                f"moves and {moved.results_recorded:,} results recorded, "
                f"{'left behind' if moved.left_behind else 'cleaned up'} {moved.errors or ''}"
            )
        load = self.load
        if load is not None and not load.ok:
            failures.append(
                f"throughput: {load.errors} errors, {load.redirects} redirects, "
                f"{'; '.join(load.problems) or 'no other problem'}"
            )
        if self.dataset_changed:
            failures.append(f"the data set changed: {self.dataset_changed}")
        return failures


def run(
    options: Options, *, analyze: bool = True, say: Callable[[str], None] = lambda line: None
) -> Run:
    """Measure the database's data set; `say` hears who is measured before it starts."""
    if connection.in_atomic_block:
        raise Refused("bench runs other processes on committed data: not in a transaction.")
    begun = timezone.now()
    skip = set(options.skip)
    if "throughput" not in skip and not settings.REDIS_URL:
        raise Refused(
            "Throughput runs gunicorn with the production settings, which need Redis: "
            "export REDIS_URL (redis://127.0.0.1:6379/0), or leave it out with "
            "--skip throughput."
        )
    # A crashed earlier run may have left throwaway records; they are not the data set.
    actions.remove_leftovers()
    sweep.remove_tagged()
    bulk.remove_tagged()
    analyze_seconds = None
    if analyze:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        analyze_seconds = round(time.perf_counter() - started, 2)
    before = report.dataset_sizes()
    try:
        subjects = find_subjects()
    except NothingToMeasure as error:
        raise Refused(f"{error} Fill the database first (manage.py seed_scale).") from None
    say(
        f"Measuring {connection.settings_dict['NAME']} as {subjects.admin.username} (admin) "
        f"and {subjects.rep.username} (rep, {subjects.facts['rep_open_deals']} open deals)…"
    )
    measured = measure_requests(subjects, skip, options)
    try:
        sweeps = [
            sweep.run_sweep(size, workers=options.sweep_workers)
            for size in ([] if "sweep" in skip else options.sweep)
        ]
    except sweep.SweepRefused as error:
        raise Refused(f"The sweep was not run: {error}") from None
    moved = None
    if "bulk" not in skip:
        moved = bulk.run_bulk(rep=subjects.rep, like=subjects.biggest_account, size=options.bulk)
    load = None
    if "throughput" not in skip:
        rep_pages = [entry.url for entry in pages(subjects) if entry.user == subjects.rep]
        load = throughput.run_throughput(
            user=subjects.rep,
            paths=list(dict.fromkeys(rep_pages)),
            duration=options.duration,
            connections=options.connections,
            workers=options.workers,
            log_dir=Path(settings.VAR_DIR) / "bench",
        )
    after = report.dataset_sizes()
    changed = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    return Run(
        started_at=begun,
        options=options,
        analyze_seconds=analyze_seconds,
        dataset=before,
        dataset_changed=changed,
        server=report.server_settings(),
        subjects=subjects,
        measured=measured,
        sweeps=sweeps,
        bulk=moved,
        load=load,
    )


def measure_requests(subjects: Subjects, skip: set[str], options: Options) -> list[Result]:
    """Pages, then POSTs, through the test client as each user."""
    clients: dict[int, Client] = {}

    def client_for(page: Page) -> Client:
        if page.user.pk not in clients:
            # A failing page is reported with its status, not raised.
            clients[page.user.pk] = Client(raise_request_exception=False)
            clients[page.user.pk].force_login(page.user)
        return clients[page.user.pk]

    timing = {"requests": options.requests, "warmup": options.warmup, "rerun": options.rerun}
    measured: list[Result] = []
    # DEBUG off as in production (no query log, no debug templates); the test client
    # sends Host: testserver, which a real deployment's ALLOWED_HOSTS does not list.
    with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        try:
            for page in [] if "pages" in skip else _wanted(pages(subjects), options):
                client = client_for(page)
                measured.append(
                    measure(
                        # Over HTTPS: production redirects plain HTTP, and a redirect
                        # is not the page.
                        lambda _, client=client, url=page.url: client.get(url, secure=True),
                        label=page.label,
                        user=page.user.username,
                        method="GET",
                        url=page.url,
                        prepare=(
                            partial(snapshot.forget, Scope(user=page.user)) if page.unkept else None
                        ),
                        **timing,
                    )
                )
            if "posts" not in skip:
                measured += measure_posts(subjects, client_for, timing)
        finally:
            for client in clients.values():
                client.logout()  # deletes the session force_login made
    return measured


def measure_posts(
    subjects: Subjects, client_for: Callable[[Page], Client], timing: dict[str, int]
) -> list[Result]:
    """The main POSTs as the admin and the rep, on a throwaway account removed after."""
    users = [subjects.admin, subjects.rep]
    clients = {user.pk: client_for(Page("", user, "")) for user in users}
    sandbox = actions.sandbox_create(rep=subjects.rep, like=subjects.biggest_account)
    undone = False
    try:
        results = actions.measure_posts(sandbox, clients, users, **timing)
    finally:
        undone = actions.sandbox_remove(sandbox.account)
    for result in results:
        result.effect["undone"] = undone
        result.effect["ok"] = result.effect["ok"] and undone
    return results
