"""Artificial patience: the rules, with fixed times, and follow-ups held, surfaced, closed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zoneinfo
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pipeline.followups import patience
from pipeline.followups import services as followup_services
from pipeline.followups import sweep as followup_sweep
from pipeline.followups.models import FollowUp, FollowUpEvent, PatienceRule
from pipeline.soe import services as soe_services
from salesflow.core.models import Notification
from salesflow.env import database_url
from tests.factories import AccountFactory

LONDON = "Europe/London"
UTC = zoneinfo.ZoneInfo("UTC")


def at(text: str, zone: str = LONDON) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone))


def rules(*kinds: str) -> list[PatienceRule]:
    return [rule for rule in PatienceRule.objects.filter(active=True) if rule.kind in kinds]


# --- The rules, with fixed times -----------------------------------------------------------


@pytest.mark.django_db
def test_a_friday_evening_solution_call_waits_until_monday_morning():
    friday_evening = at("2026-11-20T18:30")
    facts = patience.Facts(
        now=friday_evening,
        time_zone=LONDON,
        last_conversation=("solution_development", friday_evening),
    )
    found = patience.holds(facts, rules("after_conversation"))
    assert patience.surface_at(facts, found) == at("2026-11-23T09:00")
    assert found[0].why == "let the solution call sink in"


@pytest.mark.django_db
def test_a_bank_holiday_monday_pushes_it_to_tuesday():
    friday = at("2026-08-28T16:00")  # Monday 31 August 2026 is a bank holiday in England
    facts = patience.Facts(now=friday, time_zone=LONDON, last_conversation=("decision", friday))
    assert patience.surface_at(facts, patience.holds(facts, rules("after_conversation"))) == at(
        "2026-09-01T09:00"
    )


@pytest.mark.django_db
def test_the_business_morning_is_the_reps_own():
    call = at("2026-11-24T22:30", "America/New_York")  # already Wednesday in London
    facts = patience.Facts(
        now=call, time_zone="America/New_York", last_conversation=("solution_development", call)
    )
    until = patience.surface_at(facts, patience.holds(facts, rules("after_conversation")))
    assert until == at("2026-11-25T09:00", "America/New_York")


@pytest.mark.django_db
def test_another_kind_of_conversation_holds_nothing():
    now = at("2026-11-20T10:00")
    facts = patience.Facts(now=now, time_zone=LONDON, last_conversation=("qualifying", now))
    assert patience.holds(facts, rules("after_conversation")) == []


@pytest.mark.django_db
def test_a_done_soe_step_marinates_for_its_days():
    facts = patience.Facts(
        now=at("2026-11-10T12:00"), time_zone=LONDON, last_step_done_on=date(2026, 11, 10)
    )
    found = patience.holds(facts, rules("after_soe_step"))
    assert patience.surface_at(facts, found) == at("2026-11-13T09:00")


@pytest.mark.django_db
def test_near_quarter_end_it_waits_longer_and_is_flagged(settings):
    now = at("2026-12-23T11:00")  # inside the last 10 days of the calendar quarter
    facts = patience.Facts(now=now, time_zone=LONDON)
    found = patience.holds(facts, rules("end_of_quarter"))
    assert [hold.rule for hold in found] == ["end_of_quarter"]
    # Two days on is Christmas Day: it waits for the next business morning.
    assert found[0].until == at("2026-12-29T09:00")
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 2  # quarters end Jan, Apr, Jul, Oct
    assert patience.holds(facts, rules("end_of_quarter")) == []


@pytest.mark.django_db
def test_rules_combine_the_latest_hold_wins_and_every_rule_is_listed():
    friday = at("2026-12-18T17:00")
    facts = patience.Facts(
        now=friday,
        time_zone=LONDON,
        last_conversation=("solution_development", friday),
        last_step_done_on=date(2026, 12, 18),
        dragging_evaluation=True,
    )
    found = patience.holds(facts, list(PatienceRule.objects.filter(active=True)))
    kinds = {hold.rule for hold in found}
    assert kinds == {
        "after_conversation",
        "after_soe_step",
        "dragging_evaluation",
        "end_of_quarter",
    }
    dragging = next(h for h in found if h.rule == "dragging_evaluation").until  # 25 Dec
    assert patience.surface_at(facts, found) == dragging + timedelta(days=2)


def test_fiscal_quarters_follow_the_fiscal_year(settings):
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 4
    assert patience.quarter_end(date(2026, 11, 23)) == date(2026, 12, 31)
    assert patience.quarter_end(date(2026, 4, 1)) == date(2026, 6, 30)
    settings.SALESFLOW_FISCAL_YEAR_START_MONTH = 2
    assert patience.quarter_end(date(2026, 1, 15)) == date(2026, 1, 31)
    assert patience.quarter_end(date(2026, 12, 15)) == date(2027, 1, 31)


# --- Follow-ups ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_follow_up_needs_a_purpose(rep, account):
    with pytest.raises(ValidationError, match="accomplish"):
        followup_services.followup_create(actor=rep, account=account, purpose="   ")
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_a_solution_call_proposes_a_follow_up_held_until_a_business_morning(rep, deal):
    from prospects import services as prospect_services

    prospect_services.conversation_log(
        actor=rep,
        account=deal.account,
        occurred_at=timezone.now(),
        channel="meeting",
        kind="solution_development",
        notes="Walked the ward with Helen",
    )
    follow_up = FollowUp.objects.get()
    assert follow_up.proposed
    assert follow_up.status == "held"
    assert follow_up.opportunity == deal
    assert follow_up.surface_at > timezone.now()
    local = follow_up.surface_at.astimezone(zoneinfo.ZoneInfo(rep.time_zone))
    assert (local.hour, local.minute) == (9, 0)
    assert patience.is_business_day(local.date())
    assert follow_up.holds[0]["why"] == "let the solution call sink in"
    # A second call does not pile up a second proposal.
    prospect_services.conversation_log(
        actor=rep,
        account=deal.account,
        occurred_at=timezone.now(),
        channel="call",
        kind="solution_development",
        notes="Went through the pilot plan",
    )
    assert FollowUp.objects.count() == 1


@pytest.mark.django_db
def test_a_done_soe_step_proposes_a_follow_up_that_marinates(rep, deal):
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    step = soe_services.soe_step_add(actor=rep, sequence=sequence, text="Security review")
    soe_services.soe_step_done(actor=rep, step=step)
    follow_up = FollowUp.objects.get()
    assert "Security review" in follow_up.purpose
    assert any(hold["rule"] == "after_soe_step" for hold in follow_up.holds)


@pytest.mark.django_db
def test_a_deal_with_a_held_follow_up_is_marinating_not_stuck(rep, deal):
    from tests.pipeline.deals.test_stuck import idle, stuck_ids

    idle(deal, 30)
    assert stuck_ids() == {deal.pk}
    follow_up = followup_services.followup_create(
        actor=rep, account=deal.account, opportunity=deal, purpose="Check in"
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=2))
    assert stuck_ids() == set()
    # Once its time has come it no longer shields the deal.
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() - timedelta(hours=1))
    assert stuck_ids() == {deal.pk}


@pytest.mark.django_db
def test_the_sweep_surfaces_due_ones_only_and_the_owner_is_told_once(rep, account, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # unit test of the sweep's own logic
    due = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about the pilot"
    )
    later = followup_services.followup_create(actor=rep, account=account, purpose="Later")
    FollowUp.objects.filter(pk=later.pk).update(surface_at=timezone.now() + timedelta(days=2))
    from django.db import transaction

    with transaction.atomic():
        assert followup_sweep.followups_surface_due() == 1
    # on_commit callbacks run at the end of the test's outer atomic block; send directly:
    followup_sweep.followups_notify_surfaced(follow_up_ids=[due.pk])
    followup_sweep.followups_notify_surfaced(follow_up_ids=[due.pk])
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("surfaced", "held")
    assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
    assert len(mail.outbox) == 1
    assert followup_sweep.followups_surface_due() == 0


@pytest.mark.django_db
def test_done_dismiss_and_surface_now_are_guarded_and_kept(rep, teammate, account):
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="still held: its time has not come"):
        followup_services.followup_done(actor=rep, follow_up=follow_up)
    with pytest.raises(ValidationError, match="cannot wait"):
        followup_services.followup_surface_now(actor=rep, follow_up=follow_up, reason="")
    with pytest.raises(ValidationError, match="read-only"):
        followup_services.followup_surface_now(
            actor=teammate, follow_up=follow_up, reason="Mine now"
        )
    followup_services.followup_surface_now(
        actor=rep, follow_up=follow_up, reason="They asked for it today"
    )
    follow_up.refresh_from_db()
    assert follow_up.surfaced_early_reason == "They asked for it today"
    followup_services.followup_done(actor=rep, follow_up=follow_up)
    with pytest.raises(ValidationError):
        followup_services.followup_dismiss(actor=rep, follow_up=follow_up, reason="Too late")
    actions = list(
        FollowUpEvent.objects.filter(follow_up=follow_up).values_list("action", flat=True)
    )
    assert actions == ["held", "surfaced early", "done"]


@pytest.mark.django_db
def test_today_lists_due_follow_ups_with_the_why_even_before_the_sweep(client, rep, account):
    from prospects import services as prospect_services

    prospect_services.why_record(
        actor=rep, account=account, text="Beds blocked all weekend", said_on=timezone.localdate()
    )
    due = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about the pilot", draft="Helen, how did it go?"
    )
    held = followup_services.followup_create(actor=rep, account=account, purpose="Board date")
    FollowUp.objects.filter(pk=held.pk).update(surface_at=timezone.now() + timedelta(days=3))
    client.force_login(rep)
    html = client.get(reverse("home")).content.decode()
    today = html[html.index("Today") : html.index("Held back")]
    assert "Ask about the pilot" in today
    assert "Helen, how did it go?" in today
    assert "Beds blocked all weekend" in today
    assert "Board date" not in today
    assert "Board date" in html[html.index("Held back") :]
    assert due.status == "held"  # still held: "due" is read from the database


@pytest.mark.django_db
def test_follow_up_pages_and_access(client, rep, teammate, outsider, account):
    client.force_login(rep)
    response = client.post(
        reverse("pipeline:followup_create", args=[account.pk]),
        {"purpose": "Hear how the pilot went", "channel": "call", "draft": "Ask Helen"},
    )
    follow_up = FollowUp.objects.get()
    assert response["Location"] == reverse("pipeline:followup_detail", args=[follow_up.pk])
    bad = client.post(reverse("pipeline:followup_create", args=[account.pk]), {"purpose": ""})
    assert bad.status_code == 422
    assert FollowUp.objects.count() == 1
    client.force_login(teammate)
    assert client.get(reverse("pipeline:followup_detail", args=[follow_up.pk])).status_code == 200
    url = reverse("pipeline:followup_dismiss", args=[follow_up.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("pipeline:followup_detail", args=[follow_up.pk])).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.status == "held"


# --- Helpers for the fault tests: processes and a Redis of the test's own ------------------


def _due_follow_ups(owner, count: int) -> None:
    account = AccountFactory(owner=owner)
    past = timezone.now() - timedelta(minutes=1)
    FollowUp.objects.bulk_create(
        (
            FollowUp(account=account, owner=owner, purpose=f"Follow-up {n}", surface_at=past)
            for n in range(count)
        ),
        batch_size=5000,
    )


def _process_env(settings, **extra: str) -> dict[str, str]:
    """The environment for a separate salesflow process that uses the test database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesflow.settings.base",
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "DEBUG": "true",
        **extra,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_redis(port: int, folder) -> subprocess.Popen:
    """A Redis nobody else uses, answering before this returns."""
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    raise AssertionError("the test's Redis did not start")


# --- Exactly once, with real concurrency and a real worker ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_surface_each_due_follow_up_exactly_once(rep):
    from django.db import connection

    _due_follow_ups(rep, 5000)
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            counts.append(followup_sweep.followups_surface_due(batch=200))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    from unittest import mock

    with mock.patch("pipeline.tasks.notify_followups_surfaced.delay"):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert sum(counts) == 5000
    assert all(count > 0 for count in counts)  # both really worked
    assert FollowUp.objects.filter(status="surfaced").count() == 5000
    surfaced_events = FollowUpEvent.objects.filter(action="surfaced")
    assert surfaced_events.count() == 5000
    assert surfaced_events.values("follow_up").distinct().count() == 5000


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_surfaces_and_notifies_once(celery_worker_thread, rep):
    from pipeline.tasks import surface_due_followups

    account = AccountFactory(owner=rep)
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about the pilot"
    )
    surface_due_followups.delay()
    surface_due_followups.delay()  # a second sweep finds nothing left to take
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not Notification.objects.filter(user=rep).exists():
        time.sleep(0.2)
    time.sleep(1)
    follow_up.refresh_from_db()
    assert follow_up.status == "surfaced"
    assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
    assert FollowUpEvent.objects.filter(follow_up=follow_up, action="surfaced").count() == 1


def test_the_sweep_runs_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["surface-due-follow-ups"]
    assert entry["task"] == "pipeline.tasks.surface_due_followups"
    assert entry["schedule"] == 60.0


@pytest.mark.django_db
def test_a_due_follow_up_can_be_done_before_the_sweep_reaches_it(rep, account):
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    assert follow_up.status == "held"  # due at once, not yet swept
    followup_services.followup_done(actor=rep, follow_up=follow_up)
    follow_up.refresh_from_db()
    assert follow_up.status == "done"
    assert followup_sweep.followups_surface_due() == 0


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_follow_ups_are_saved_and_surface_and_everyone_is_told_later(rep):
    """The queue is only a courier: with it unreachable, follow-ups are still created and
    surfaced (both live in the database), and the next sweep tells the owners."""
    from unittest import mock

    from kombu.exceptions import OperationalError

    from pipeline import tasks

    account = AccountFactory(owner=rep)
    down = mock.patch.object(
        tasks.notify_followups_surfaced, "delay", side_effect=OperationalError("broker down")
    )
    with down:
        follow_up = followup_services.followup_create(
            actor=rep, account=account, purpose="Ask Helen"
        )
        assert followup_sweep.followups_surface_due() == 1  # its notification could not be queued
    follow_up.refresh_from_db()
    assert follow_up.status == "surfaced"
    assert not Notification.objects.exists()
    with mock.patch.object(tasks.notify_followups_surfaced, "delay"):
        tasks.surface_due_followups()  # the next sweep, broker back
        tasks.surface_due_followups()
    assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_team_that_reviews_drafts_holds_them_for_the_manager(
    client, rep, teammate, manager, account
):
    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget", draft="Hi Helen, any news?"
    )
    assert follow_up.review == "pending"
    assert followup_sweep.followups_surface_due() == 0  # due, but waiting for the manager
    with pytest.raises(ValidationError):
        followup_services.followup_surface_now(actor=rep, follow_up=follow_up, reason="In a hurry")
    with pytest.raises(ValidationError, match="manager"):
        followup_services.followup_approve(actor=teammate, follow_up=follow_up)
    client.force_login(manager)
    assert "Ask about budget" in client.get(reverse("home")).content.decode()
    with pytest.raises(ValidationError, match="what to change"):
        followup_services.followup_send_back(actor=manager, follow_up=follow_up)
    followup_services.followup_send_back(
        actor=manager, follow_up=follow_up, comment="Lead with their why"
    )
    follow_up.refresh_from_db()
    assert follow_up.review == "sent_back"
    followup_services.followup_revise(
        actor=rep,
        follow_up=follow_up,
        purpose="Ask about budget",
        draft="Hi Helen, you said beds stay blocked all weekend...",
    )
    follow_up.refresh_from_db()
    assert follow_up.review == "pending"
    response = client.post(
        reverse("pipeline:followup_approve", args=[follow_up.pk]),
        {"decision": "approve", "draft": "Hi Helen, you said beds stay blocked. Any news?"},
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.review, follow_up.reviewed_by) == ("approved", manager)
    assert follow_up.draft == "Hi Helen, you said beds stay blocked. Any news?"
    assert followup_sweep.followups_surface_due() == 1
    actions = list(follow_up.events.values_list("action", flat=True))
    assert actions == ["held", "sent back", "reworked", "approved", "surfaced"]


@pytest.mark.django_db
def test_the_manager_sees_patience_broken_with_its_reason(client, rep, manager, account):
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=2))
    followup_services.followup_surface_now(
        actor=rep, follow_up=follow_up, reason="Their board meets today"
    )
    client.force_login(manager)
    assert "Their board meets today" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_sweep_killed_half_way_loses_nothing_and_doubles_nothing(rep, settings):
    """SIGKILL a process in the middle of a sweep: whole batches are surfaced, the rest are
    still held, and the next sweep finishes the job — every follow-up surfaced once."""
    _due_follow_ups(rep, 3000)
    env = _process_env(settings)
    sweep = subprocess.Popen(
        [sys.executable, "manage.py", "surface_followups", "--batch", "100", "--pause", "0.2"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while FollowUp.objects.filter(status="surfaced").count() < 300:
        assert time.monotonic() < deadline, "the sweep never got going"
        assert sweep.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.05)
    sweep.send_signal(signal.SIGKILL)
    sweep.wait(timeout=10)
    surfaced = FollowUp.objects.filter(status="surfaced").count()
    assert 300 <= surfaced < 3000  # killed half-way
    assert surfaced % 100 == 0  # only whole, committed batches
    assert FollowUpEvent.objects.filter(action="surfaced").count() == surfaced

    with mock_delay():
        followup_sweep.followups_surface_due()  # the sweep after the restart
    assert FollowUp.objects.filter(status="surfaced").count() == 3000
    events = FollowUpEvent.objects.filter(action="surfaced")
    assert events.count() == 3000
    assert events.values("follow_up").distinct().count() == 3000


def mock_delay():
    from unittest import mock

    return mock.patch("pipeline.tasks.notify_followups_surfaced.delay")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_really_stopped_then_started_nothing_is_lost(rep, tmp_path, caplog):
    """A Redis of the test's own is stopped while follow-ups are created and come due,
    then started again: everything was saved, surfaces, and every owner is told once."""
    from unittest import mock

    from celery import Celery

    from pipeline import tasks

    port = _free_port()
    # The sweep's notifications go to a broker of the test's own, so stopping it touches
    # nothing else: the same task, sent through a Celery app that talks to that Redis.
    courier = Celery("courier", broker=f"redis://127.0.0.1:{port}/0")
    courier.conf.broker_connection_retry = False
    courier.conf.broker_connection_max_retries = 0
    courier.conf.task_publish_retry = False

    def send(ids: list[int]) -> None:
        courier.send_task("pipeline.tasks.notify_followups_surfaced", args=[ids])

    server = _start_redis(port, tmp_path)
    try:
        with mock.patch.object(tasks.notify_followups_surfaced, "delay", side_effect=send):
            server.terminate()
            server.wait(timeout=10)  # Redis is down from here
            account = AccountFactory(owner=rep)
            follow_up = followup_services.followup_create(
                actor=rep, account=account, purpose="Ask Helen"
            )
            started = time.monotonic()
            assert followup_sweep.followups_surface_due() == 1
            assert "Could not queue notifications" in caplog.text  # the broker was down
            assert time.monotonic() - started < 30  # and that did not hang the sweep
            follow_up.refresh_from_db()
            assert follow_up.status == "surfaced"
            assert not Notification.objects.exists()

            server = _start_redis(port, tmp_path)  # Redis is back
            tasks.surface_due_followups()  # the next sweep, as beat would run it
            assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
            tasks.surface_due_followups()
            assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
    finally:
        server.terminate()
        server.wait(timeout=10)
        courier.close()


@pytest.mark.django_db
def test_review_messages_notifications_and_switching_review_off(client, rep, manager, account):
    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    assert Notification.objects.filter(user=manager, title__startswith="A draft to review").exists()
    with pytest.raises(ValidationError, match="waiting for the manager's review"):
        followup_services.followup_done(actor=rep, follow_up=follow_up)
    followup_services.followup_send_back(actor=manager, follow_up=follow_up, comment="Shorter")
    assert Notification.objects.filter(user=rep, title__startswith="Sent back").exists()
    client.force_login(rep)
    home = client.get(reverse("home")).content.decode()
    assert "Sent back: rework it" in home
    assert "“Shorter”" in home
    with pytest.raises(ValidationError, match="sent back"):
        followup_services.followup_done(actor=rep, follow_up=follow_up)
    # The team stops reviewing: what waited for it is free to surface.
    rep.team.review_followups = False
    rep.team.save()
    assert followup_sweep.followups_surface_due() == 1


@pytest.fixture
def released(rep, account):
    """A draft held for the team's review, due by the clock, and then the team stops
    reviewing drafts: the sweep would surface it, so every page calls it due."""
    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    assert follow_up.review == "pending"
    assert follow_up.surface_at <= timezone.now()
    rep.team.review_followups = False
    rep.team.save()
    return follow_up


def followup_page(client, follow_up) -> str:
    return client.get(reverse("pipeline:followup_detail", args=[follow_up.pk])).content.decode()


@pytest.mark.django_db
def test_a_follow_up_a_team_stopped_reviewing_is_due_on_its_page_as_for_the_sweep(
    client, rep, account, released
):
    from pipeline.followups import selectors as followup_selectors

    client.force_login(rep)
    page = followup_page(client, released)
    assert "Due now" in page
    assert "Mark done" in page
    assert "Review: no longer asked" in page
    assert "surfaces only once the manager approves" not in page
    account_page = client.get(reverse("prospects:account_detail", args=[account.pk]))
    assert "due now" in account_page.content.decode()
    assert [f.pk for f in followup_selectors.followups_due(user=rep)] == [released.pk]  # Today
    assert followup_sweep.followups_surface_due() == 1  # the sweep agrees
    assert "Mark done" in followup_page(client, released)


@pytest.mark.django_db
def test_a_follow_up_a_team_stopped_reviewing_waits_for_its_time_and_can_surface_now(
    client, rep, manager, released
):
    from pipeline.followups import selectors as followup_selectors

    FollowUp.objects.filter(pk=released.pk).update(surface_at=timezone.now() + timedelta(days=2))
    client.force_login(rep)
    page = followup_page(client, released)
    assert "Due now" not in page
    assert "Mark done" not in page
    assert "Surface now" in page  # nothing but its time stands in the way
    assert followup_selectors.followups_to_approve(user=manager) == []  # nor on the manager's list
    with pytest.raises(ValidationError, match="not waiting for a review"):
        followup_services.followup_approve(actor=manager, follow_up=released)
    followup_services.followup_surface_now(
        actor=rep, follow_up=released, reason="Their board meets"
    )


@pytest.mark.django_db
def test_a_draft_waiting_for_the_managers_review_is_not_due_on_any_page(client, rep, account):
    rep.team.review_followups = True
    rep.team.save()
    follow_up = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about budget"
    )
    client.force_login(rep)
    page = followup_page(client, follow_up)
    for action in ("Due now", "Mark done", "Surface now"):
        assert action not in page
    assert "surfaces only once the manager approves" in page
    account_page = client.get(reverse("prospects:account_detail", args=[account.pk]))
    assert "waiting for the manager's review" in account_page.content.decode()
    assert followup_sweep.followups_surface_due() == 0


@pytest.mark.django_db
def test_only_a_team_with_a_manager_can_review_drafts():
    from salesflow.core.models import Team

    team = Team(name="South", review_followups=True)
    with pytest.raises(ValidationError, match="manager"):
        team.full_clean()


@pytest.mark.django_db
def test_an_after_conversation_rule_names_its_conversation_kind():
    rule = PatienceRule(kind="after_conversation", conversation_kind="", days=1, why="wait")
    with pytest.raises(ValidationError, match="which kind of conversation"):
        rule.full_clean()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_killed_mid_sweep_then_restarted_surfaces_each_once(
    rep, settings, tmp_path
):
    """A real worker process, on a Redis of the test's own, SIGKILLed in the middle of the
    sweep task; a new worker runs the next sweep: nothing lost, nothing surfaced twice."""
    from celery import Celery

    port = _free_port()
    redis = _start_redis(port, tmp_path)
    total = 40_000
    _due_follow_ups(rep, total)
    env = _process_env(settings, REDIS_URL=f"redis://127.0.0.1:{port}/0")

    def worker() -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "salesflow",
                "worker",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    courier = Celery("courier", broker=f"redis://127.0.0.1:{port}/0")
    surfaced = FollowUp.objects.filter(status="surfaced")
    first = worker()
    second = None
    try:
        courier.send_task("pipeline.tasks.surface_due_followups")
        deadline = time.monotonic() + 120
        while surfaced.count() < 2000:
            assert time.monotonic() < deadline, "the worker never got going"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        halfway = surfaced.count()
        assert 2000 <= halfway < total, "killed too late to prove anything"
        assert halfway % 500 == 0  # only whole, committed batches

        second = worker()  # restarted; beat sends the next sweep within a minute
        courier.send_task("pipeline.tasks.surface_due_followups")
        deadline = time.monotonic() + 180
        while surfaced.count() < total:
            assert time.monotonic() < deadline, "the restarted worker did not finish the sweep"
            time.sleep(0.2)
    finally:
        for process in (first, second, redis):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        courier.close()
    events = FollowUpEvent.objects.filter(action="surfaced")
    assert events.count() == total
    assert events.values("follow_up").distinct().count() == total
