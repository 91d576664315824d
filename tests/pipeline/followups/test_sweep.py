"""The sweep that surfaces due follow-ups: each one surfaces exactly once and its owner is
told once, with two sweeps at once, a real worker, the broker down, Redis stopped, or the
process killed half-way."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from pipeline.followups import services as followup_services
from pipeline.followups import sweep as followup_sweep
from pipeline.followups.models import FollowUp, FollowUpEvent
from salesflow.core.models import Notification, OutboxMessage
from salesflow.core.outbox import services as outbox_services
from tests.factories import AccountFactory
from tests.processes import celery_worker, process_env, start_redis


@pytest.mark.django_db
def test_the_sweep_surfaces_due_ones_only_and_the_owner_is_told_once(rep, account):
    due = followup_services.followup_create(
        actor=rep, account=account, purpose="Ask about the pilot"
    )
    later = followup_services.followup_create(actor=rep, account=account, purpose="Later")
    FollowUp.objects.filter(pk=later.pk).update(surface_at=timezone.now() + timedelta(days=2))
    assert followup_sweep.followups_surface_due() == 1
    assert followup_sweep.followups_surface_due() == 0
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("surfaced", "held")
    # Told in the surfacing transaction: the notification, and the email in the outbox.
    notification = Notification.objects.get(user=rep, kind="follow_up")
    assert notification.title == f"Time to follow up with {account.name}"
    email = OutboxMessage.objects.get()
    assert (email.recipient, email.notification) == (rep.email, notification)
    assert email.key == f"follow-up:{due.pk}:surfaced"
    assert outbox_services.outbox_send_due().sent == 1
    assert outbox_services.outbox_send_due().sent == 0
    (sent,) = mail.outbox
    assert sent.to == [rep.email]
    assert sent.extra_headers["Message-ID"] == email.message_id
    assert sent.subject == f"salesflow: time to follow up with {account.name}"


@pytest.mark.django_db
def test_an_owner_without_an_email_address_is_told_in_the_app_only(rep, account):
    rep.email = ""
    rep.save()
    followup_services.followup_create(actor=rep, account=account, purpose="Ask about it")
    assert followup_sweep.followups_surface_due() == 1
    assert Notification.objects.filter(user=rep).count() == 1
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_an_owner_who_turned_these_emails_off_is_told_in_the_app_only(rep, teammate, account):
    rep.emails_muted = [Notification.Kind.FOLLOW_UP]
    rep.save()
    followup_services.followup_create(actor=rep, account=account, purpose="Ask about it")
    theirs = AccountFactory(owner=teammate)
    followup_services.followup_create(actor=teammate, account=theirs, purpose="And this")
    assert followup_sweep.followups_surface_due() == 2
    assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
    # Only the teammate, who kept them on, gets the email.
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [teammate.email]


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


# --- Helpers for the fault tests (processes and Redis: tests/processes.py) ----------------


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

    with no_sender():
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
    # Each told once, in the app and (in the outbox) by email.
    assert Notification.objects.filter(user=rep).count() == 5000
    assert OutboxMessage.objects.values("key").distinct().count() == 5000


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
    # The surfacing asked the worker to send the outbox: the email went, once.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not mail.outbox:
        time.sleep(0.2)
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_follow_ups_surface_owners_are_told_and_the_email_goes_later(
    rep,
):
    """The queue is only a courier: with it unreachable, follow-ups are still created and
    surfaced and their owners notified (all in the database); the email waits in the
    outbox for beat's next poll."""
    from unittest import mock

    from kombu.exceptions import OperationalError

    from salesflow.core import tasks

    account = AccountFactory(owner=rep)
    down = mock.patch.object(
        tasks.send_outbox, "delay", side_effect=OperationalError("broker down")
    )
    with down:
        follow_up = followup_services.followup_create(
            actor=rep, account=account, purpose="Ask Helen"
        )
        assert followup_sweep.followups_surface_due() == 1  # no sender could be asked
    follow_up.refresh_from_db()
    assert follow_up.status == "surfaced"
    assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
    assert OutboxMessage.objects.get().status == "pending"
    assert mail.outbox == []
    tasks.send_outbox()  # beat's poll, broker back
    tasks.send_outbox()
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_sweep_killed_half_way_loses_nothing_and_doubles_nothing(rep, settings):
    """SIGKILL a process in the middle of a sweep: whole batches are surfaced, the rest are
    still held, and the next sweep finishes the job — every follow-up surfaced once."""
    _due_follow_ups(rep, 3000)
    env = process_env(settings)
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
    # Nobody surfaced without being told, nobody told about a follow-up still held.
    assert Notification.objects.count() == OutboxMessage.objects.count() == surfaced

    with no_sender():
        followup_sweep.followups_surface_due()  # the sweep after the restart
    assert FollowUp.objects.filter(status="surfaced").count() == 3000
    events = FollowUpEvent.objects.filter(action="surfaced")
    assert events.count() == 3000
    assert events.values("follow_up").distinct().count() == 3000
    assert Notification.objects.count() == OutboxMessage.objects.count() == 3000


def no_sender():
    """The outbox's emails stay written but no worker is asked to send them."""
    from unittest import mock

    return mock.patch.object(outbox_services, "_ask_for_a_sender", return_value=None)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_really_stopped_then_started_nothing_is_lost(rep, tmp_path, caplog):
    """A Redis of the test's own is stopped while follow-ups are created and come due,
    then started again: everything was saved, surfaces, every owner is told once, and
    the email goes once Redis is back."""
    from unittest import mock

    from celery import Celery

    from salesflow.core import tasks

    server, port = start_redis(tmp_path)
    # The request for a sender goes to a broker of the test's own, so stopping it touches
    # nothing else: the same task, sent through a Celery app that talks to that Redis.
    courier = Celery("courier", broker=f"redis://127.0.0.1:{port}/0")
    courier.conf.broker_connection_retry = False
    courier.conf.broker_connection_max_retries = 0
    courier.conf.task_publish_retry = False

    def send() -> None:
        courier.send_task("salesflow.core.tasks.send_outbox")

    try:
        with mock.patch.object(tasks.send_outbox, "delay", side_effect=send):
            server.terminate()
            server.wait(timeout=10)  # Redis is down from here
            account = AccountFactory(owner=rep)
            follow_up = followup_services.followup_create(
                actor=rep, account=account, purpose="Ask Helen"
            )
            started = time.monotonic()
            assert followup_sweep.followups_surface_due() == 1
            assert "Could not ask a worker to send" in caplog.text  # the broker was down
            assert time.monotonic() - started < 30  # and that did not hang the sweep
            follow_up.refresh_from_db()
            assert follow_up.status == "surfaced"
            assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
            assert mail.outbox == []

            server, _ = start_redis(tmp_path, port)  # Redis is back
            tasks.send_outbox()  # beat's next poll
            tasks.send_outbox()
            assert len(mail.outbox) == 1
            assert Notification.objects.filter(user=rep, kind="follow_up").count() == 1
    finally:
        server.terminate()
        server.wait(timeout=10)
        courier.close()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_killed_mid_sweep_then_restarted_surfaces_each_once(
    rep, settings, tmp_path
):
    """A real worker process, on a Redis of the test's own, SIGKILLed in the middle of the
    sweep task; a new worker runs the next sweep: nothing lost, nothing surfaced twice."""
    from celery import Celery

    redis, port = start_redis(tmp_path)
    total = 40_000
    _due_follow_ups(rep, total)
    # The emails go nowhere: this test is about surfacing (test_outbox_faults is not).
    env = process_env(settings, REDIS_URL=f"redis://127.0.0.1:{port}/0", EMAIL_URL="dummy://")

    def worker() -> subprocess.Popen:
        return celery_worker(settings, env, "--pool", "solo")

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
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:  # still sending the outbox: no matter here
                    process.kill()
                    process.wait(timeout=10)
        courier.close()
    events = FollowUpEvent.objects.filter(action="surfaced")
    assert events.count() == total
    assert events.values("follow_up").distinct().count() == total
    assert Notification.objects.count() == total
