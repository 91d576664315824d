"""manage.py bench: measure the current database's data set, whatever built it.

Pages and the main POSTs through Django's test client (server time, query count, the
slowest query run alone), the follow-up sweep with two racing workers, and throughput
through gunicorn under wrk. It builds nothing: fill the database first (seed_scale).
Everything it writes to measure (POSTs, the sweep's follow-ups, a session) it deletes
again, and it checks the row counts are as they were. The helpers are in
pipeline/benchmark/.
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentTypeError
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from pipeline.benchmark import actions, report, sweep, throughput
from pipeline.benchmark.pages import Page, pages
from pipeline.benchmark.subjects import NothingToMeasure, Subjects, find_subjects
from pipeline.benchmark.timing import Result, measure
from pipeline.dashboard import snapshot
from pipeline.dashboard.scope import Scope

PARTS = ("pages", "posts", "sweep", "throughput")


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


def _sizes(value: str) -> list[int]:
    return [_at_least(1)(part.strip()) for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    help = (
        "Measure the data set in the configured database: pages and POSTs (median and p95 "
        "server time, queries, slowest query alone), the follow-up sweep with two workers, "
        "and throughput through gunicorn and wrk. Builds nothing; deletes what it writes. "
        "Use a database of its own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--requests", type=_at_least(1), default=30, help="Timed requests a page (30)."
        )
        parser.add_argument(
            "--warmup", type=_at_least(0), default=3, help="Untimed requests a page first (3)."
        )
        parser.add_argument(
            "--rerun",
            type=_at_least(1),
            default=5,
            help="Times the slowest query of a page is run again alone (5).",
        )
        parser.add_argument(
            "--sweep",
            type=_sizes,
            default=[5_000, 100_000],
            help="Due follow-ups to surface, one sweep per size, comma-separated (5000,100000).",
        )
        parser.add_argument(
            "--sweep-workers",
            type=_at_least(1),
            default=2,
            help="Processes sweeping at once (2).",
        )
        parser.add_argument(
            "--duration", type=_at_least(1), default=30, help="Seconds of wrk load (30)."
        )
        parser.add_argument(
            "--connections", type=_at_least(1), default=16, help="wrk connections (16)."
        )
        parser.add_argument(
            "--workers",
            type=_at_least(1),
            default=throughput.default_workers(),
            help=f"gunicorn workers (cores + 1: {throughput.default_workers()} here).",
        )
        parser.add_argument(
            "--skip",
            choices=PARTS,
            action="append",
            default=[],
            help="Leave out a part; repeat to leave out more.",
        )
        parser.add_argument(
            "--no-analyze",
            action="store_true",
            help="Do not run VACUUM ANALYZE first (by default it does, in place of "
            "autovacuum, which may be off: the planner's statistics and the visibility map "
            "that index-only scans read).",
        )
        parser.add_argument(
            "--json",
            type=Path,
            default=None,
            help="Where to write the results (default var/bench/bench-<time>.json).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.in_atomic_block:
            raise CommandError(
                "bench runs other processes on committed data: not in a transaction."
            )
        begun = timezone.now()
        skip = set(options["skip"])
        if "throughput" not in skip and not settings.REDIS_URL:
            raise CommandError(
                "Throughput runs gunicorn with the production settings, which need Redis: "
                "export REDIS_URL (redis://127.0.0.1:6379/0), or leave it out with "
                "--skip throughput."
            )
        # A crashed earlier run may have left throwaway records; they are not the data set.
        actions.remove_leftovers()
        sweep.remove_tagged()
        analyze_seconds = None
        if not options["no_analyze"]:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
            analyze_seconds = round(time.perf_counter() - started, 2)
        before = report.dataset_sizes()
        try:
            subjects = find_subjects()
        except NothingToMeasure as error:
            raise CommandError(f"{error} Fill the database first (manage.py seed_scale).") from None
        self.stdout.write(
            f"Measuring {connection.settings_dict['NAME']} as {subjects.admin.username} (admin) "
            f"and {subjects.rep.username} (rep, {subjects.facts['rep_open_deals']} open deals)…"
        )
        measured = self._requests(subjects, skip, options)
        try:
            sweeps = [
                sweep.run_sweep(size, workers=options["sweep_workers"])
                for size in ([] if "sweep" in skip else options["sweep"])
            ]
        except sweep.SweepRefused as error:
            raise CommandError(f"The sweep was not run: {error}") from None
        load = None
        if "throughput" not in skip:
            rep_pages = [entry.url for entry in pages(subjects) if entry.user == subjects.rep]
            load = throughput.run_throughput(
                user=subjects.rep,
                paths=list(dict.fromkeys(rep_pages)),
                duration=options["duration"],
                connections=options["connections"],
                workers=options["workers"],
                log_dir=Path(settings.VAR_DIR) / "bench",
            )
        after = report.dataset_sizes()
        changed = {
            name: [before[name], after[name]] for name in before if before[name] != after[name]
        }
        server = report.server_settings()

        self.stdout.write(
            self._text(subjects, before, server, analyze_seconds, measured, sweeps, load, changed)
        )
        results = {
            "started_at": begun.isoformat(),
            "database": {"name": connection.settings_dict["NAME"], **server},
            "analyze_seconds": analyze_seconds,
            "options": {
                key: options[key]
                for key in (
                    "requests",
                    "warmup",
                    "rerun",
                    "sweep",
                    "sweep_workers",
                    "duration",
                    "connections",
                    "workers",
                    "skip",
                )
            },
            "dataset": before,
            "dataset_changed": changed,
            "subjects": subjects.facts,
            "pages": [asdict(result) for result in measured],
            "sweep": [{**asdict(result), "exactly_once": result.exactly_once} for result in sweeps],
            "throughput": {**asdict(load), "errors": load.errors, "ok": load.ok} if load else None,
        }
        default = Path(settings.VAR_DIR) / "bench" / f"bench-{begun:%Y%m%d-%H%M%S}.json"
        path = Path(options["json"] or default)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
        self.stdout.write(f"Results written to {path}")
        self._fail_on(measured, sweeps, load, changed)

    def _requests(
        self, subjects: Subjects, skip: set[str], options: dict[str, Any]
    ) -> list[Result]:
        """Pages, then POSTs, through the test client as each user."""
        clients: dict[int, Client] = {}

        def client_for(page: Page) -> Client:
            if page.user.pk not in clients:
                # A failing page is reported with its status, not raised.
                clients[page.user.pk] = Client(raise_request_exception=False)
                clients[page.user.pk].force_login(page.user)
            return clients[page.user.pk]

        timing = {key: options[key] for key in ("requests", "warmup", "rerun")}
        measured: list[Result] = []
        # DEBUG off as in production (no query log, no debug templates); the test client
        # sends Host: testserver, which a real deployment's ALLOWED_HOSTS does not list.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            try:
                for page in [] if "pages" in skip else pages(subjects):
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
                                partial(snapshot.forget, Scope(user=page.user))
                                if page.unkept
                                else None
                            ),
                            **timing,
                        )
                    )
                if "posts" not in skip:
                    measured += self._posts(subjects, client_for, timing)
            finally:
                for client in clients.values():
                    client.logout()  # deletes the session force_login made
        return measured

    def _posts(
        self, subjects: Subjects, client_for: Callable[[Page], Client], timing: dict[str, int]
    ) -> list[Result]:
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

    def _text(
        self,
        subjects: Subjects,
        sizes: dict[str, int],
        server: dict[str, str],
        analyze_seconds: float | None,
        measured: list[Result],
        sweeps: list[sweep.SweepResult],
        load: throughput.ThroughputResult | None,
        changed: dict[str, list[int]],
    ) -> str:
        facts = subjects.facts
        lines = [
            "",
            "PostgreSQL: " + ", ".join(f"{name} {value}" for name, value in server.items()) + ".",
            f"VACUUM ANALYZE first: {analyze_seconds} s." if analyze_seconds is not None else "",
            "",
            report.markdown_table(
                ["table", "rows"], [[name, count] for name, count in sizes.items()], right=1
            ),
            "",
            f"Measured as {facts['admin']} (admin), {facts['rep']} (the rep with the most open "
            f"deals: {facts['rep_open_deals']}), {facts['manager']} (manager of "
            f"{facts['team']}). Account #{facts['biggest_account']['pk']} has the most "
            f"conversations the rep sees ({facts['biggest_account']['conversations']}); deal "
            f"#{facts['long_history_deal']['pk']} the longest history of the rep's "
            f"({facts['long_history_deal']['stage_changes']} stage changes).",
        ]
        if facts["soe_deal"]:
            lines.append(
                f"SOE: deal #{facts['soe_deal']['pk']}, {facts['soe_deal']['steps']} steps."
            )
        if facts["review"]:
            lines.append(
                f"Review #{facts['review']['pk']}: finished, {facts['review']['items']} items."
            )
        else:
            lines.append("No finished review in the data set: the review board is not measured.")
        if measured:
            lines += ["", report.pages_table(measured)]
        if sweeps:
            lines += ["", f"Sweep: {sweep.HOW}.", "", report.sweep_table(sweeps)]
        if load is not None:
            lines += [
                "",
                f"Throughput: {load.server} ({load.workers_why}); wrk, {load.threads} threads, "
                f"the rep's {len(load.paths)} read pages in turn, signed in by session cookie.",
                "",
                report.throughput_table(load),
            ]
        lines += [
            "",
            "Data set left as it was."
            if not changed
            else f"Data set CHANGED (before, after): {changed}",
            "",
        ]
        return "\n".join(line for line in lines if line is not None)

    def _fail_on(
        self,
        measured: list[Result],
        sweeps: list[sweep.SweepResult],
        load: throughput.ThroughputResult | None,
        changed: dict[str, list[int]],
    ) -> None:
        failures = [
            f"{r.method} {r.label} as {r.user} ({r.url}): status {r.status} "
            f"(expected {r.expected_status}), {r.effect or 'no effect check'}"
            for r in measured
            if not r.ok
        ]
        failures += [
            f"sweep of {s.followups}: not each surfaced exactly once ({s.surfaced_once} once, "
            f"{s.surfaced_twice} twice, shares {s.shares}, {s.errors}); {s.left_behind} left"
            for s in sweeps
            if not s.exactly_once or s.left_behind
        ]
        if load is not None and not load.ok:
            failures.append(
                f"throughput: {load.errors} errors, {load.redirects} redirects, "
                f"{'; '.join(load.problems) or 'no other problem'}"
            )
        if changed:
            failures.append(f"the data set changed: {changed}")
        if failures:
            for failure in failures:
                self.stderr.write(self.style.ERROR(f"FAILED: {failure}"))
            raise CommandError(f"{len(failures)} check(s) failed; see above.")
