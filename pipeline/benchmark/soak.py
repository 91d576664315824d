"""The soak: the rep's day through gunicorn for N minutes while the background breaks.

Everything runs as deployed, on this machine, around the database the command is given:
a Redis of the soak's own on a free port (never the machine's: others use it), gunicorn
with the production settings (2 sync workers), two Celery workers (prefork, one pool
process each), ONE beat with its schedule file in a temporary folder, and a real SMTP
server (aiosmtpd) that counts what it receives by Message-ID.

K signed-in users loop over the rep's read pages (Today, the account list, an account, a
deal, the board, notifications and a follow-up, search, and the dashboard as the manager)
and three writes on throwaway accounts of their own: log a conversation, move a deal
between two open stages, plan a follow-up (on an account with no conversation, so no
patience rule holds it: due at once, the sweep surfaces it within a minute and its owner
is emailed). Every `kill_every` seconds one Celery worker is SIGKILLed (its whole process
tree, or only its main process, in turn) and a replacement started; once, Redis is
stopped for `redis_down_seconds` and started again, empty.

At the end it waits (bounded) for the due follow-ups to surface and the outbox to drain,
and checks the promises against the database and the SMTP server:

- reads: every page answered 200, Redis down or not;
- writes: refused cleanly or saved whole, never half-saved (each conversation the client
  saw saved exists exactly once, a refused one not at all; each deal's stage agrees with
  its history; each planned follow-up exists once, with its history);
- follow-ups: each due one surfaced exactly once (one "surfaced" event), none early, none
  that was not due;
- emails: every outbox row written during the run sent, every sent Message-ID received
  (lost = 0); a Message-ID received twice is reported as a duplicate (at-least-once).

The throwaway accounts and all they carry are deleted afterwards (``keep`` leaves them).
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import logging
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from pipeline.benchmark import actions, subjects, throughput
from pipeline.deals.models import Opportunity, StageChange
from pipeline.followups.models import FollowUp, FollowUpEvent
from prospects import services as prospect_services
from prospects.models import Account, Answer, Channel, Conversation, ConversationKind
from salesflow.core.models import OutboxMessage, User

logger = logging.getLogger(__name__)

TAG = "soak"
GUNICORN_WORKERS = 2
CELERY_WORKERS = 2
REQUEST_TIMEOUT_SECONDS = 30
# How often the drain asks for a sweep and a sender, besides beat (whose sweep is a minute).
DRAIN_POLL_SECONDS = 5
# After the last email, how long to listen for a late repeat of one.
QUIET_SECONDS = 3
READS = (
    "home",
    "accounts",
    "account",
    "deal",
    "board",
    "notifications",
    "follow-up",
    "search",
    "dashboard",
)
WRITES = ("log", "move", "plan")
# The outbox set for a run of minutes rather than days: a dead sender's claim runs out in
# 10 s, retries start after 1 s and double up to 4 s, and no fault uses up the attempts.
OUTBOX_ENV = {
    "SALESFLOW_OUTBOX_LEASE_SECONDS": "10",
    "SALESFLOW_OUTBOX_RETRY_SECONDS": "1",
    "SALESFLOW_OUTBOX_RETRY_MAX_SECONDS": "4",
    "SALESFLOW_OUTBOX_MAX_ATTEMPTS": "100",
    "SALESFLOW_OUTBOX_POLL_SECONDS": "5",
}


class SoakRefused(Exception):
    """The soak cannot run here (no data set to drive, no redis-server, …)."""


@dataclass
class SoakOptions:
    seconds: int
    users: int = 4
    kill_every: int = 60
    redis_restart_at: int | None = None  # None: half-way through
    redis_down_seconds: int = 20
    pause: float = 0.3  # between one user's requests: the machine is shared
    drain_seconds: int = 180
    keep: bool = False
    log_dir: Path = field(default_factory=lambda: Path(settings.VAR_DIR) / "soak")


# --- What happened ----------------------------------------------------------------------


@dataclass
class Call:
    kind: str
    at: float  # seconds since the load started
    ms: float
    status: int  # 0: no answer (connection refused or reset, timed out)
    error: str = ""


@dataclass
class Written:
    """One write the client made, and what it saw."""

    kind: str
    marker: str  # how the soak finds it in the database
    outcome: str  # ok, refused, error (no answer or a 5xx: the outcome is unknown)
    detail: str = ""


@dataclass
class UserLoad:
    number: int
    account: Account  # conversations are logged on it; its deal is moved
    deal: Opportunity
    quiet: Account  # follow-ups are planned on it: no conversation, so due at once
    stages: tuple[int, int]  # the two open stages the deal moves between
    calls: list[Call] = field(default_factory=list)
    written: list[Written] = field(default_factory=list)
    follow_ups: list[int] = field(default_factory=list)
    first_change: int = 0  # the deal's stage changes after this id are the soak's


@dataclass
class Fault:
    at: float
    what: str


@dataclass
class SoakResult:
    started_at: datetime
    seconds: int
    users: int
    command: str
    dataset: dict[str, int]
    rep: str
    manager: str | None
    faults: list[Fault] = field(default_factory=list)
    redis_down: tuple[float, float] | None = None  # seconds since the load started
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    read_errors: list[dict[str, Any]] = field(default_factory=list)
    reads_while_redis_down: int = 0
    writes: dict[str, dict[str, int]] = field(default_factory=dict)
    half_saved: list[str] = field(default_factory=list)
    follow_ups: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    drain_seconds: float = 0.0
    outbox_waiting_before: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    log_dir: str = ""

    @property
    def reads(self) -> int:
        return sum(self.requests[kind]["requests"] for kind in READS if kind in self.requests)

    def failures(self) -> list[str]:
        """Each broken promise, in words; none when the soak passed."""
        found = list(self.problems)
        if self.read_errors:
            found.append(f"{len(self.read_errors)} read(s) failed")
        errors = sum(counts["error"] for counts in self.writes.values())
        if errors:
            found.append(f"{errors} write(s) got no answer or a server error")
        found += [f"half-saved: {problem}" for problem in self.half_saved]
        f = self.follow_ups
        if f.get("due", 0) != f.get("surfaced_once", 0):
            found.append(f"{f['due']} follow-ups due, {f['surfaced_once']} surfaced exactly once")
        for name in ("surfaced_twice", "surfaced_early", "surfaced_not_due"):
            if f.get(name):
                found.append(f"follow-ups {name.replace('_', ' ')}: {f[name]}")
        e = self.emails
        if e.get("lost"):
            found.append(f"{e['lost']} email(s) marked sent never reached the SMTP server")
        if e.get("unsent"):
            found.append(f"{e['unsent']} email(s) still unsent after the drain")
        if e.get("follow_up_emails", 0) != f.get("surfaced_once", 0) and e.get("owner_has_email"):
            found.append(
                f"{f.get('surfaced_once', 0)} follow-ups surfaced but "
                f"{e.get('follow_up_emails', 0)} emails written for them"
            )
        return found

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = self.failures()
        return data


# --- The processes ----------------------------------------------------------------------


class Fleet:
    """Redis, the SMTP sink, gunicorn, the Celery workers and beat; each started and ended
    by the soak alone, by process id or its own process group."""

    def __init__(self, folder: Path, log_dir: Path) -> None:
        self.folder = folder
        self.log_dir = log_dir
        self.redis_port = throughput.free_port()
        self.web_port = 0
        self.secret_key = secrets.token_urlsafe(64)
        self.redis: subprocess.Popen[bytes] | None = None
        self.sink: Any = None
        self.web: subprocess.Popen[bytes] | None = None
        self.beat: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * CELERY_WORKERS
        self.generation = itertools.count(1)
        self.killed: list[int] = []  # process groups of the workers killed
        self.env: dict[str, str] = {}

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> None:
        from pipeline.benchmark.smtp_sink import SmtpSink  # aiosmtpd: a dev requirement

        self.start_redis()
        self.sink = SmtpSink().start()
        self.env = {
            **throughput._server_env(self.secret_key),
            "REDIS_URL": self.redis_url,
            "EMAIL_URL": self.sink.url,
            "SALESFLOW_VAR_DIR": str(self.folder / "var"),
            **OUTBOX_ENV,
        }
        base = Path(settings.BASE_DIR)
        collected = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=base,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if collected.returncode != 0:
            raise SoakRefused(f"collectstatic failed: {collected.stderr.strip()[-500:]}")
        self.web_port = throughput.free_port()
        self.web = self._spawn(
            "gunicorn",
            [
                *(sys.executable, "-m", "gunicorn", "salesflow.wsgi"),
                *("--bind", f"127.0.0.1:{self.web_port}", "--workers", str(GUNICORN_WORKERS)),
                *("--timeout", str(REQUEST_TIMEOUT_SECONDS), "--log-level", "warning"),
            ],
        )
        for slot in range(CELERY_WORKERS):
            self.start_worker(slot)
        self.beat = self._spawn(
            "beat",
            [
                *(sys.executable, "-m", "celery", "-A", "salesflow", "beat"),
                *("--schedule", str(self.folder / "celerybeat-schedule")),
                *("--loglevel", "WARNING"),
            ],
        )
        if not throughput._wait_ready(self.web, self.root):
            raise SoakRefused(f"gunicorn did not answer /healthz; see {self.log_dir}")

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                command,
                cwd=Path(settings.BASE_DIR),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: ended as a whole, by id
            )

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), 1):
                    return
            except OSError:
                time.sleep(0.05)
        raise SoakRefused("the soak's redis-server did not start")

    def stop_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=20)

    def start_worker(self, slot: int) -> None:
        self.workers[slot] = self._spawn(
            f"worker-{slot}",
            [
                *(sys.executable, "-m", "celery", "-A", "salesflow", "worker"),
                *("--concurrency", "1", "--without-gossip", "--without-mingle"),
                *("--hostname", f"soak{slot}-{next(self.generation)}@%h"),
                *("--loglevel", "WARNING"),
            ],
        )

    def kill_worker(self, slot: int, *, tree: bool) -> str:
        """SIGKILL a worker as a lost machine (its whole tree) or a crashed main process
        (its pool process is orphaned) would see it, then start its replacement."""
        import psutil

        worker = self.workers[slot]
        assert worker is not None
        main = psutil.Process(worker.pid)
        children = main.children(recursive=True)
        for victim in [*children, main] if tree else [main]:
            with contextlib.suppress(psutil.NoSuchProcess):
                victim.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        self.killed.append(worker.pid)
        self.start_worker(slot)
        if tree:
            return f"SIGKILL worker {slot} (main process and {len(children)} pool process(es))"
        return f"SIGKILL worker {slot}'s main process only ({len(children)} pool orphaned)"

    def stop(self) -> None:
        if self.web is not None:
            throughput._stop(self.web)
        for process in [self.beat, *self.workers]:
            if process is not None:
                _end(process)
        for group in self.killed:
            # A worker killed by its main process alone may have left its pool process.
            _killpg(group, signal.SIGKILL)
        self.stop_redis()
        if self.sink is not None:
            self.sink.stop()


def _killpg(group: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def _end(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL what is left of it."""
    _killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    _killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


# --- The users --------------------------------------------------------------------------


class Browser:
    """A signed-in user over HTTP: its cookies (session, CSRF), "HTTPS" as the proxy says,
    no redirect followed (a redirect to sign-in is an answer to report)."""

    def __init__(self, port: int, session: str) -> None:
        self.port = port
        self.cookies = {settings.SESSION_COOKIE_NAME: session}

    def request(
        self, method: str, path: str, data: dict[str, object] | None = None, htmx: bool = False
    ) -> tuple[int, str, str]:
        """(status, body, Location) of one request on a fresh connection."""
        origin = f"https://127.0.0.1:{self.port}"
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-Forwarded-Proto": "https",
        }
        body = None
        if method == "POST":
            token = self.cookies.get(settings.CSRF_COOKIE_NAME, "")
            body = urlencode({**(data or {}), "csrfmiddlewaretoken": token}).encode()
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-CSRFToken": token,
                    "Origin": origin,
                    "Referer": origin + path,
                }
            )
        if htmx:
            headers["HX-Request"] = "true"
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            client.request(method, path, body=body, headers=headers)
            answer = client.getresponse()
            text = answer.read().decode(errors="replace")
            for header in answer.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            return answer.status, text, answer.headers.get("Location", "")
        finally:
            client.close()


class Driver:
    """One user's loop: the reads in turn, then one write, until told to stop."""

    def __init__(
        self,
        load: UserLoad,
        rep: Browser,
        manager: Browser,
        paths: dict[str, str],
        *,
        started: float,
        pause: float,
        stop: threading.Event,
    ) -> None:
        self.load, self.rep, self.manager, self.paths = load, rep, manager, paths
        self.started, self.pause, self.stop = started, pause, stop
        self.at_stage = load.stages[1]  # where the deal is now, as this user last saw it
        self.count = itertools.count(1)  # numbers the conversations
        self.plans = itertools.count(1)  # numbers the follow-ups

    def run(self) -> None:
        try:
            for cycle in itertools.count():
                for kind in READS:
                    if self._rest():
                        return
                    self._read(kind)
                if self._rest():
                    return
                write = WRITES[(cycle + self.load.number) % len(WRITES)]
                getattr(self, f"_{write}")()
        finally:
            connection.close()  # the thread's own, opened only to resync after an error

    def _rest(self) -> bool:
        return self.stop.wait(self.pause)

    def _timed(self, kind: str, send: Callable[[], tuple[int, str, str]]) -> tuple[int, str, str]:
        at = time.monotonic()
        try:
            status, body, location = send()
            error = "" if status < 500 else body[:200]
        except (OSError, http.client.HTTPException) as problem:
            status, body, location, error = 0, "", "", f"{type(problem).__name__}: {problem}"
        ms = (time.monotonic() - at) * 1000
        self.load.calls.append(Call(kind, round(at - self.started, 2), round(ms, 1), status, error))
        return status, body, location

    def _read(self, kind: str) -> None:
        path = self.paths.get(kind)
        if kind == "follow-up":
            if not self.load.follow_ups:
                return
            path = reverse("pipeline:followup_detail", args=[self.load.follow_ups[-1]])
        browser = self.manager if kind == "dashboard" else self.rep
        status, _, location = self._timed(kind, lambda: browser.request("GET", path))
        call = self.load.calls[-1]
        if status != 200 and not call.error:
            call.error = f"{status} {location}".strip()

    def _outcome(self, status: int, ok: int) -> str:
        if status == ok:
            return "ok"
        if 400 <= status < 500:
            return "refused"
        return "error"

    def _log(self) -> None:
        marker = f"{TAG} {self.load.account.pk}: call #{next(self.count)}"
        when = timezone.localtime() - timedelta(minutes=5)
        data = {
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
            "channel": Channel.CALL,
            "kind": ConversationKind.SOLUTION_DEVELOPMENT,
            "notes": marker,
            "emotion_found": "Hopeful",
            "has_problem": Answer.YES,
            "accepts_significance": Answer.YES,
            "ready_to_act": Answer.UNKNOWN,
            "submission_key": str(uuid.uuid4()),
        }
        url = reverse("prospects:conversation_create", args=[self.load.account.pk])
        status, _, _ = self._timed("log", lambda: self.rep.request("POST", url, data, htmx=True))
        self.load.written.append(Written("log", marker, self._outcome(status, 200), str(status)))

    def _move(self) -> None:
        there, back = self.load.stages
        to = there if self.at_stage == back else back
        url = reverse("pipeline:opportunity_move", args=[self.load.deal.pk])
        data = {"stage": to, "from_stage": self.at_stage}
        status, _, _ = self._timed("move", lambda: self.rep.request("POST", url, data, htmx=True))
        outcome = self._outcome(status, 200)
        self.load.written.append(Written("move", f"{self.at_stage}->{to}", outcome, str(status)))
        if outcome == "ok":
            self.at_stage = to
        else:  # refused or unknown: look again where the deal is, as the board would show
            self.at_stage = Opportunity.objects.values_list("stage_id", flat=True).get(
                pk=self.load.deal.pk
            )

    def _plan(self) -> None:
        number = next(self.plans)
        # Mostly on the quiet account (due at once); every third on the account with the
        # conversations, where the patience rules may hold it past the run: it must not
        # surface early.
        account = self.load.account if number % 3 == 0 else self.load.quiet
        marker = f"{TAG} {account.pk}: follow up #{number}"
        data = {
            "purpose": marker,
            "channel": Channel.EMAIL,
            "draft": "Hello, following up on the pilot plan as promised.",
        }
        url = reverse("pipeline:followup_create", args=[account.pk])
        status, _, location = self._timed("plan", lambda: self.rep.request("POST", url, data))
        outcome = self._outcome(status, 302)
        if outcome == "ok":
            found = re.search(r"/follow-ups/(\d+)/", location)
            if found is None:
                outcome = "error"
            else:
                self.load.follow_ups.append(int(found.group(1)))
        self.load.written.append(Written("plan", marker, outcome, f"{status} {location}"))


# --- The run ----------------------------------------------------------------------------


def _sandbox(rep: User, like: Account, number: int, run: str) -> UserLoad:
    """A user's throwaway accounts: one with a deal past its first stage, one quiet."""
    name = f"{TAG} {run} user {number}"
    try:
        sandbox = actions.sandbox_create(rep=rep, like=like, name=name)
    except ValueError as refused:
        raise SoakRefused(str(refused)) from None
    account, deal, there, back = sandbox.account, sandbox.deal, sandbox.there, sandbox.back
    quiet = prospect_services.account_create(
        actor=rep, name=f"{name} (quiet)", owner=rep, segment=like.segment
    )
    last = StageChange.objects.filter(opportunity=deal).order_by("-pk").first()
    return UserLoad(
        number=number,
        account=account,
        deal=deal,
        quiet=quiet,
        stages=(there.pk, back.pk),
        first_change=last.pk if last else 0,
    )


def _follow_ups(loads: list[UserLoad]) -> Any:
    """Every follow-up on the soak's accounts: planned by its users, or proposed by
    salesflow after a conversation they logged."""
    accounts = [account for load in loads for account in (load.account, load.quiet)]
    return FollowUp.objects.filter(account__in=accounts)


def _remove(loads: list[UserLoad]) -> None:
    """Delete the throwaway accounts and what hangs on them, the emails' rows included."""
    keys = [f"follow-up:{pk}:surfaced" for pk in _follow_ups(loads).values_list("pk", flat=True)]
    OutboxMessage.objects.filter(key__in=keys).delete()
    for load in loads:
        actions.sandbox_remove(load.account)
        actions.sandbox_remove(load.quiet)


def remove_leftovers() -> int:
    """Throwaway accounts a crashed earlier soak left behind."""
    leftovers = Account.objects.filter(name__regex=rf"^{TAG} \d{{8}}-\d{{6}} user \d+")
    for account in leftovers:
        actions.sandbox_remove(account)
    return len(leftovers)


def run_soak(options: SoakOptions, *, command: str, say: Callable[[str], None]) -> SoakResult:
    """Drive the load with its faults, drain, check every promise; see the module's doc."""
    if connection.in_atomic_block:
        raise SoakRefused(
            "gunicorn and the workers need committed rows: run outside a transaction."
        )
    found = _subjects()
    rep, manager, biggest = found.rep, found.manager or found.rep, found.biggest_account
    started_at = timezone.now()
    run = started_at.strftime("%Y%m%d-%H%M%S")
    log_dir = Path(options.log_dir) / run
    log_dir.mkdir(parents=True, exist_ok=True)
    result = SoakResult(
        started_at=started_at,
        seconds=options.seconds,
        users=options.users,
        command=command,
        dataset=_dataset(),
        rep=rep.username,
        manager=found.manager.username if found.manager else None,
        log_dir=str(log_dir),
    )
    remove_leftovers()
    result.outbox_waiting_before = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    loads = [_sandbox(rep, biggest, number, run) for number in range(options.users)]
    sessions: list[str] = []
    with tempfile.TemporaryDirectory(prefix="salesflow-soak-") as folder:
        fleet = Fleet(Path(folder), log_dir)
        try:
            say(f"Starting Redis (port {fleet.redis_port}), SMTP sink, gunicorn, workers, beat…")
            fleet.start()
            say(f"gunicorn on {fleet.root}; load for {options.seconds} s as {rep.username}")
            paths = _paths(found)
            browsers = []
            for _ in loads:
                pair = []
                for user in (rep, manager):
                    sessions.append(throughput.create_session(user, fleet.secret_key))
                    pair.append(Browser(fleet.web_port, sessions[-1]))
                browsers.append(pair)
            for rep_browser, manager_browser in browsers:
                _prepare(rep_browser, paths["account"])
                _prepare(manager_browser, paths["account"])
            _load(options, fleet, loads, browsers, paths, result, say)
            say("Load over; waiting for the due follow-ups to surface and the outbox to drain…")
            drain_from = timezone.now()
            result.drain_seconds = _drain(options, fleet, loads, drain_from)
            _check(result, loads, fleet, started_at, drain_from, rep)
        finally:
            fleet.stop()
            for session in sessions:
                throughput.delete_session(session)
            if not options.keep:
                _remove(loads)
    _tally(result, loads)
    return result


def _subjects() -> subjects.Subjects:
    try:
        return subjects.find_subjects()
    except subjects.NothingToMeasure as error:
        raise SoakRefused(f"{error} Fill the database first (manage.py seed_demo).") from None


def _dataset() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "accounts": Account.objects.count(),
        "deals": Opportunity.objects.count(),
        "conversations": Conversation.objects.count(),
        "follow-ups": FollowUp.objects.count(),
    }


def _paths(found: subjects.Subjects) -> dict[str, str]:
    deal = found.long_history_deal
    return {
        "home": reverse("home"),
        "accounts": reverse("prospects:account_list"),
        "account": reverse("prospects:account_detail", args=[found.biggest_account.pk]),
        "deal": reverse("pipeline:opportunity_detail", args=[deal.pk]),
        "board": reverse("pipeline:board_pipeline", args=[deal.pipeline_id]),
        "notifications": reverse("notifications"),
        "search": f"{reverse('prospects:search')}?q={quote(found.search_term)}",
        "dashboard": reverse("pipeline:dashboard"),
    }


def _prepare(browser: Browser, path: str) -> None:
    """Open a page with forms: the answer sets the CSRF cookie the POSTs send back."""
    status, _, location = browser.request("GET", path)
    if status != 200 or settings.CSRF_COOKIE_NAME not in browser.cookies:
        raise SoakRefused(f"{path} answered {status} {location} without a CSRF cookie")


def _load(
    options: SoakOptions,
    fleet: Fleet,
    loads: list[UserLoad],
    browsers: list[list[Browser]],
    paths: dict[str, str],
    result: SoakResult,
    say: Callable[[str], None],
) -> None:
    stop = threading.Event()
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=Driver(
                load, rep, manager, paths, started=started, pause=options.pause, stop=stop
            ).run,
            name=f"soak-user-{load.number}",
            daemon=True,
        )
        for load, (rep, manager) in zip(loads, browsers, strict=True)
    ]
    for thread in threads:
        thread.start()
    restart_at = (
        options.redis_restart_at if options.redis_restart_at is not None else options.seconds // 2
    )
    kills = 0
    next_kill = options.kill_every
    redis_back_at: float | None = None
    try:
        while (now := time.monotonic() - started) < options.seconds:
            if options.kill_every and now >= next_kill:
                # Worker 0, worker 1, each first as a lost machine, then as a crashed main.
                slot, tree = kills % CELERY_WORKERS, (kills // CELERY_WORKERS) % 2 == 0
                what = fleet.kill_worker(slot, tree=tree)
                result.faults.append(Fault(round(now, 1), what))
                say(f"{now:6.0f} s  {what}; a replacement is starting")
                kills += 1
                next_kill += options.kill_every
            if result.redis_down is None and restart_at <= now < options.seconds:
                fleet.stop_redis()
                result.redis_down = (round(now, 1), 0.0)
                result.faults.append(Fault(round(now, 1), "Redis stopped"))
                say(f"{now:6.0f} s  Redis stopped for {options.redis_down_seconds} s")
                redis_back_at = now + options.redis_down_seconds
            if redis_back_at is not None and now >= redis_back_at:
                fleet.start_redis()
                back = round(time.monotonic() - started, 1)
                result.redis_down = (result.redis_down[0], back)  # type: ignore[index]
                result.faults.append(Fault(back, "Redis started again, empty"))
                say(f"{back:6.0f} s  Redis started again (empty: nothing kept)")
                redis_back_at = None
            time.sleep(0.2)
        if redis_back_at is not None:  # the run ended while Redis was down
            fleet.start_redis()
            back = round(time.monotonic() - started, 1)
            result.redis_down = (result.redis_down[0], back)  # type: ignore[index]
            result.faults.append(Fault(back, "Redis started again, empty"))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_SECONDS + 10)


def _courier(fleet: Fleet) -> Any:
    from celery import Celery

    courier = Celery("soak-courier", broker=fleet.redis_url)
    courier.conf.broker_connection_retry_on_startup = True
    return courier


def _drain(
    options: SoakOptions, fleet: Fleet, loads: list[UserLoad], drain_from: datetime
) -> float:
    """Until every due follow-up has surfaced and the outbox has nothing left to send (or
    the time is up), ask for a sweep and a sender every few seconds, as beat would."""
    ours = _follow_ups(loads)
    started = time.monotonic()
    courier = _courier(fleet)
    try:
        while time.monotonic() - started < options.drain_seconds:
            courier.send_task("pipeline.tasks.surface_due_followups")
            courier.send_task("salesflow.core.tasks.send_outbox")
            due_unsurfaced = ours.filter(
                status=FollowUp.Status.HELD, surface_at__lte=drain_from
            ).exists()
            # Anything the outbox still has to send: the run's, and what waited before it.
            pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()
            if not due_unsurfaced and not pending:
                break
            time.sleep(DRAIN_POLL_SECONDS)
    finally:
        courier.close()
    seconds = time.monotonic() - started
    time.sleep(QUIET_SECONDS)  # a message still on its way would show up as a repeat now
    return round(seconds, 1)


def _check(
    result: SoakResult,
    loads: list[UserLoad],
    fleet: Fleet,
    started_at: datetime,
    drain_from: datetime,
    rep: User,
) -> None:
    _check_writes(result, loads)
    _check_follow_ups(result, loads, drain_from)
    _check_emails(result, loads, fleet, started_at, rep)


def _check_writes(result: SoakResult, loads: list[UserLoad]) -> None:
    for load in loads:
        _check_conversations_and_follow_ups(result, load)
        _check_moves(result, load)


# What the database may hold of a write, by what the client saw: an answered write is
# saved once or not at all; one without an answer (or with a 5xx) either, never twice.
EXPECTED_COPIES = {"ok": {1}, "refused": {0}, "error": {0, 1}}


def _check_conversations_and_follow_ups(result: SoakResult, load: UserLoad) -> None:
    for written in load.written:
        if written.kind == "log":
            found = Conversation.objects.filter(account=load.account, notes=written.marker)
            what = "conversation"
        elif written.kind == "plan":
            found = _follow_ups([load]).filter(purpose=written.marker)
            what = "follow-up"
            if found.exclude(events__action=FollowUpEvent.Action.HELD).exists():
                result.half_saved.append(f"follow-up “{written.marker}” saved without its history")
        else:
            continue
        count = found.count()
        if count not in EXPECTED_COPIES[written.outcome]:
            result.half_saved.append(
                f"{what} “{written.marker}” ({written.outcome}) saved {count} times"
            )


def _check_moves(result: SoakResult, load: UserLoad) -> None:
    """The deal's history has one change per move answered OK (and at most one per move
    left without an answer), and the deal is where its history ends."""
    moves = [written for written in load.written if written.kind == "move"]
    ok = sum(written.outcome == "ok" for written in moves)
    unknown = sum(written.outcome == "error" for written in moves)
    changes = StageChange.objects.filter(opportunity=load.deal, pk__gt=load.first_change)
    if not ok <= changes.count() <= ok + unknown:
        result.half_saved.append(
            f"deal {load.deal.pk}: {ok} moves answered OK ({unknown} unknown), "
            f"{changes.count()} stage changes recorded"
        )
    last = changes.order_by("-pk").first()
    stage = Opportunity.objects.values_list("stage_id", flat=True).get(pk=load.deal.pk)
    if last is not None and last.to_stage_id != stage:
        result.half_saved.append(f"deal {load.deal.pk} is in a stage its history does not end in")


def _check_follow_ups(result: SoakResult, loads: list[UserLoad], drain_from: datetime) -> None:
    ours = _follow_ups(loads).annotate(
        surfaced_events=Count("events", filter=Q(events__action=FollowUpEvent.Action.SURFACED))
    )
    due = ours.filter(surface_at__lte=drain_from)
    early = FollowUpEvent.objects.filter(
        follow_up__in=ours.values("pk"),
        action=FollowUpEvent.Action.SURFACED,
        at__lt=F("follow_up__surface_at"),
    )
    result.follow_ups = {
        "planned": ours.count(),
        "due": due.count(),
        "surfaced_once": due.filter(surfaced_events=1, status=FollowUp.Status.SURFACED).count(),
        "surfaced_twice": ours.filter(surfaced_events__gt=1).count(),
        "surfaced_early": early.count(),
        "held_not_due": ours.filter(surface_at__gt=drain_from).count(),
        "surfaced_not_due": ours.filter(surface_at__gt=drain_from, surfaced_events__gt=0).count(),
    }


def _check_emails(
    result: SoakResult, loads: list[UserLoad], fleet: Fleet, started_at: datetime, rep: User
) -> None:
    # The emails written during the run, and any that were waiting when it started (a data
    # set seeded without a worker leaves some): the soak's workers send those too.
    written = OutboxMessage.objects.filter(
        Q(created_at__gte=started_at) | Q(pk__in=result.outbox_waiting_before)
    )
    sent = set(
        written.filter(status=OutboxMessage.Status.SENT).values_list("message_id", flat=True)
    )
    received = fleet.sink.by_message_id()
    keys = [f"follow-up:{pk}:surfaced" for pk in _follow_ups(loads).values_list("pk", flat=True)]
    result.emails = {
        "written": written.filter(created_at__gte=started_at).count(),
        "waiting_before": len(result.outbox_waiting_before),
        "sent": len(sent),
        "unsent": written.exclude(status=OutboxMessage.Status.SENT).count(),
        "received": sum(received.values()),
        "distinct_message_ids": len(received),
        "lost": len(sent - set(received)),
        "duplicates": sum(1 for count in received.values() if count > 1),
        "repeats": sum(count - 1 for count in received.values() if count > 1),
        "follow_up_emails": written.filter(key__in=keys).count(),
        "owner_has_email": int(bool(rep.email)),
        "refused_by_server": fleet.sink.refused,
    }


def _tally(result: SoakResult, loads: list[UserLoad]) -> None:
    calls = [call for load in loads for call in load.calls]
    for kind in (*READS, *WRITES):
        mine = [call for call in calls if call.kind == kind]
        if not mine:
            continue
        times = sorted(call.ms for call in mine)
        result.requests[kind] = {
            "requests": len(mine),
            "errors": sum(bool(call.error) for call in mine) if kind in READS else None,
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
            "max_ms": round(times[-1], 1),
        }
    reads = [call for call in calls if call.kind in READS]
    result.read_errors = [asdict(call) for call in reads if call.error or call.status != 200]
    if result.redis_down is not None:
        down, up = result.redis_down
        result.reads_while_redis_down = sum(down <= call.at <= up for call in reads)
    for kind in WRITES:
        outcomes = Counter(w.outcome for load in loads for w in load.written if w.kind == kind)
        result.writes[kind] = {name: outcomes.get(name, 0) for name in ("ok", "refused", "error")}


# --- The report -------------------------------------------------------------------------

LABELS = {
    "home": "Today (home)",
    "accounts": "account list",
    "account": "an account",
    "deal": "a deal",
    "board": "the board",
    "notifications": "notifications",
    "follow-up": "a follow-up",
    "search": "search",
    "dashboard": "dashboard (manager)",
    "log": "POST log a conversation",
    "move": "POST move a deal",
    "plan": "POST plan a follow-up",
}


def markdown(result: SoakResult) -> str:
    """The run as a block to paste into docs/reliability.md."""
    held = "**held**" if not result.failures() else "**BROKEN**"
    down = (
        f"stopped at {result.redis_down[0]:.0f} s, back at {result.redis_down[1]:.0f} s "
        f"({result.reads_while_redis_down} reads while down)"
        if result.redis_down
        else "not restarted"
    )
    kills = [fault for fault in result.faults if fault.what.startswith("SIGKILL")]
    trees = sum("main process and" in fault.what for fault in kills)
    lines = [
        f"### Soak of {result.started_at:%Y-%m-%d %H:%M} UTC, {_minutes(result.seconds)}: {held}",
        "",
        f"- Machine: {throughput.cores()} cores (shared); PostgreSQL "
        f"{connection.pg_version // 10000}, gunicorn {GUNICORN_WORKERS} sync workers "
        f"(production settings), {CELERY_WORKERS} Celery workers (prefork, 1 pool process "
        "each), one beat, a Redis and an SMTP server of the soak's own.",
        f"- Command: `{result.command}`",
        "- Data set: "
        + ", ".join(f"{count:,} {name}" for name, count in result.dataset.items())
        + f"; as the rep `{result.rep}`"
        + (f", the dashboard as the manager `{result.manager}`" if result.manager else ""),
        f"- Faults: a Celery worker SIGKILLed {len(kills)} times ({trees} times its whole "
        f"process tree, {len(kills) - trees} times its main process only), each time replaced "
        f"at once; Redis {down}.",
        "",
        "| Requests | count | errors | p50 ms | p95 ms | max ms |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for kind, row in result.requests.items():
        if kind in READS:
            errors = row["errors"]
        else:
            counts = result.writes[kind]
            errors = f"{counts['error']} ({counts['ok']} ok, {counts['refused']} refused)"
        lines.append(
            f"| {LABELS[kind]} | {row['requests']:,} | {errors} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['max_ms']} |"
        )
    f, e = result.follow_ups, result.emails
    lines += [
        "",
        "| Promise | found | kept |",
        "|---|---|---|",
        f"| Reads answer, Redis down or not | {result.reads:,} reads, "
        f"{len(result.read_errors)} errors | {_yes(not result.read_errors)} |",
        f"| Writes refused or whole, never half-saved | "
        f"{sum(sum(c.values()) for c in result.writes.values()):,} writes, "
        f"{len(result.half_saved)} half-saved | {_yes(not result.half_saved)} |",
        f"| Follow-ups surfaced exactly once, none early | {f.get('planned', 0)} planned "
        f"or proposed, {f.get('due', 0)} due ({f.get('held_not_due', 0)} held past the run), "
        f"{f.get('surfaced_once', 0)} surfaced once, "
        f"{f.get('surfaced_twice', 0)} twice, {f.get('surfaced_early', 0)} early | "
        f"{_yes(f.get('due') == f.get('surfaced_once') and not f.get('surfaced_twice'))} |",
        f"| Emails at least once, one Message-ID each | {e.get('written', 0)} written "
        f"(+{e.get('waiting_before', 0)} waiting before the run), "
        f"{e.get('sent', 0)} sent, {e.get('distinct_message_ids', 0)} Message-IDs received, "
        f"{e.get('lost', 0)} lost, {e.get('duplicates', 0)} received twice | "
        f"{_yes(not e.get('lost') and not e.get('unsent'))} |",
        "",
        _drained(result.drain_seconds),
    ]
    failures = result.failures()
    if failures:
        lines += ["", "Broken:", *(f"- {failure}" for failure in failures)]
    return "\n".join(lines) + "\n"


def _drained(seconds: float) -> str:
    if seconds < DRAIN_POLL_SECONDS:  # the drain's first look found nothing to wait for
        return "When the load ended, every due follow-up had surfaced and the outbox was empty."
    return (
        f"After the load, the last due follow-ups surfaced and the outbox emptied within "
        f"{seconds:g} s."
    )


def _minutes(seconds: int) -> str:
    minutes = seconds / 60
    return f"{minutes:g} minute" + ("" if minutes == 1 else "s")


def _yes(kept: bool) -> str:
    return "yes" if kept else "**no**"


def write_results(result: SoakResult, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{result.started_at:%Y%m%d-%H%M%S}"
    text, data = folder / f"soak-{stamp}.md", folder / f"soak-{stamp}.json"
    text.write_text(markdown(result))
    data.write_text(json.dumps(result.as_json(), indent=2, default=str) + "\n")
    return text, data
