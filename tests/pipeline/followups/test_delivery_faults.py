"""Telling owners under faults, with real parts: 2,000 follow-ups due at once for 2,000
owners, a real Celery worker (prefork, as deployed) on a Redis of the test's own, a real
SMTP server. The worker is killed with SIGKILL in the middle of sending, the SMTP server
then refuses everything for 20 s: every owner still gets exactly one notification and
exactly one email (counted by Message-ID at the server), and nothing is lost."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from pipeline.followups.models import FollowUp, FollowUpEvent
from prospects.models import Account
from salesflow.core.models import Notification, OutboxMessage, User
from tests.factories import SegmentFactory
from tests.processes import celery_worker, end, kill_tree, process_env, start_redis
from tests.smtp_sink import SmtpSink

OWNERS = 2000


def _owners_with_a_due_follow_up(count: int) -> None:
    users = User.objects.bulk_create(
        User(username=f"owner{n}", email=f"owner{n}@example.test", password="!")
        for n in range(count)
    )
    segment = SegmentFactory()
    accounts = Account.objects.bulk_create(
        Account(name=f"Account {n}", owner=user, segment=segment) for n, user in enumerate(users)
    )
    past = timezone.now() - timedelta(minutes=1)
    FollowUp.objects.bulk_create(
        FollowUp(account=account, owner=account.owner, purpose="Ask about it", surface_at=past)
        for account in accounts
    )


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_and_a_refusing_smtp_server_lose_no_email_and_double_none(
    settings, tmp_path
):
    from celery import Celery

    sink = SmtpSink(delay=0.004).start()  # a few ms a message: the kill lands mid-batch
    redis, port = start_redis(tmp_path)
    _owners_with_a_due_follow_up(OWNERS)
    env = process_env(
        settings,
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        EMAIL_URL=sink.url,
        # Short enough for a test: a dead sender's claim runs out in 5 s, retries start
        # after 1 s and double up to 4 s, and 20 s of refusals cannot use up the attempts.
        SALESFLOW_OUTBOX_LEASE_SECONDS="5",
        SALESFLOW_OUTBOX_RETRY_SECONDS="1",
        SALESFLOW_OUTBOX_RETRY_MAX_SECONDS="4",
        SALESFLOW_OUTBOX_MAX_ATTEMPTS="100",
    )

    def worker() -> subprocess.Popen:
        return celery_worker(settings, env, "--concurrency", "2")

    courier = Celery("courier", broker=f"redis://127.0.0.1:{port}/0")

    def beat_poll() -> None:  # what beat sends every SALESFLOW_OUTBOX_POLL_SECONDS
        courier.send_task("salesflow.core.tasks.send_outbox")

    first, second = worker(), None
    started = time.monotonic()
    try:
        courier.send_task("pipeline.tasks.surface_due_followups")
        deadline = time.monotonic() + 120
        while len(sink.received) < 300:
            assert time.monotonic() < deadline, "the worker never started sending"
            time.sleep(0.01)
        kill_tree(first)  # mid-notify
        delivered_before_the_kill = len(sink.by_message_id())
        assert delivered_before_the_kill < OWNERS, "killed too late to prove anything"
        orphaned = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, lease_token__isnull=False
        ).count()
        assert orphaned > 0  # the dead sender's claim: only its lease running out frees it

        sink.refusing = True  # the SMTP server refuses everything for 20 s
        second = worker()
        refusing_until = time.monotonic() + 20
        while time.monotonic() < refusing_until:
            beat_poll()
            time.sleep(1)
        assert sink.refused > 0  # it really was asked, and refused
        sink.refusing = False

        deadline = time.monotonic() + 180
        while len(sink.by_message_id()) < OWNERS:
            assert time.monotonic() < deadline, (
                f"only {len(sink.by_message_id())} of {OWNERS} emails arrived"
            )
            beat_poll()
            time.sleep(1)
        time.sleep(2)  # anything still on its way would show up as a duplicate now
    finally:
        end(first, second, redis)
        courier.close()
        sink.stop()
    elapsed = time.monotonic() - started

    # Every follow-up surfaced once; every owner told once in the app.
    assert FollowUp.objects.filter(status="surfaced").count() == OWNERS
    events = FollowUpEvent.objects.filter(action="surfaced")
    assert events.values("follow_up").distinct().count() == events.count() == OWNERS
    assert Notification.objects.count() == OWNERS
    assert Notification.objects.values("user").distinct().count() == OWNERS

    # Exactly one email per owner, by Message-ID; every outbox row sent.
    by_recipient = sink.message_ids_by_recipient()
    assert sorted(by_recipient) == sorted(f"owner{n}@example.test" for n in range(OWNERS))
    assert all(len(ids) == 1 for ids in by_recipient.values())
    assert set(sink.by_message_id()) == set(
        OutboxMessage.objects.values_list("message_id", flat=True)
    )
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == OWNERS
    repeats = len(sink.received) - OWNERS
    # A repeat can only be a message the server accepted just before the kill: at most
    # one per pool process that was sending.
    assert repeats <= 2
    print(
        f"\n{OWNERS} owners: {delivered_before_the_kill} emails before the kill, "
        f"{orphaned} claimed by the dead worker, {sink.refused} refusals, "
        f"{repeats} repeated deliveries (same Message-ID), {elapsed:.0f} s in all"
    )
