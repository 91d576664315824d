"""Webhooks delivered by real Celery workers over Redis to a real receiver on 127.0.0.1:
a committed change reaches the receiver signed; a receiver that is down gets everything
once it is up, nothing lost; a worker killed with SIGKILL mid-delivery loses nothing, and
anything delivered twice carries the same webhook-id (and body), so receivers can drop it."""

from __future__ import annotations

import subprocess
import time
from collections import Counter

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from prospects import services as prospect_services
from prospects.models import Account
from salesflow.core import tasks
from salesflow.core.models import OutboxMessage, User
from salesflow.core.webhooks import delivery, services
from salesflow.core.webhooks.events import webhook_events_bulk
from tests.factories import UserFactory
from tests.processes import (
    ClosedPort,
    celery_worker,
    end,
    kill_tree,
    process_env,
    start_redis,
)
from tests.webhook_receiver import Receiver


def wait_for(condition, timeout: float = 30.0, poll=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if poll is not None:
            poll()
        time.sleep(0.5)
    return False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_committed_change_reaches_the_receiver_signed(celery_worker_thread, rep):
    ops = UserFactory(role="sales_ops")
    receiver = Receiver().start()
    try:
        _, secret = services.webhook_endpoint_create(
            actor=ops, url=receiver.url, events=["account.created"]
        )
        with transaction.atomic():
            account = prospect_services.account_create(actor=rep, name="Acme Labs", owner=rep)
            time.sleep(0.5)
            assert receiver.received == []  # nothing before the commit
        assert wait_for(lambda: receiver.received), "the worker never delivered"
    finally:
        receiver.stop()
    (got,) = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["type"] == "account.created"
    assert (payload["data"]["id"], payload["data"]["name"]) == (account.pk, "Acme Labs")
    message = OutboxMessage.objects.get(kind="webhook")
    assert (message.status, got.webhook_id) == ("sent", message.message_id)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_is_down_gets_everything_once_it_is_up(celery_worker_thread, settings, rep):
    settings.SALESFLOW_WEBHOOKS_RETRY_SCHEDULE = [1] * 30
    ops = UserFactory(role="sales_ops")
    down = ClosedPort()  # the receiver is down: its port refuses connections
    url = Receiver(port=down.port).url
    services.webhook_endpoint_create(actor=ops, url=url, events=["account.created"])
    for n in range(5):
        prospect_services.account_create(actor=rep, name=f"Account {n}", owner=rep)

    def poll() -> None:  # what beat sends every SALESFLOW_OUTBOX_POLL_SECONDS
        tasks.deliver_webhooks.delay()

    tried = OutboxMessage.objects.filter(kind="webhook", attempts__gte=2)
    assert wait_for(lambda: tried.count() == 5, poll=poll), "never retried"
    receiver = Receiver(port=down.release()).start()
    try:
        sent = OutboxMessage.objects.filter(kind="webhook", status="sent")
        assert wait_for(lambda: sent.count() == 5, poll=poll), "not all delivered"
        time.sleep(1)  # a repeat still on its way would show now
    finally:
        receiver.stop()
    ids = set(OutboxMessage.objects.filter(kind="webhook").values_list("message_id", flat=True))
    assert receiver.by_webhook_id() == Counter(dict.fromkeys(ids, 1))


MESSAGES = 300


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_and_repeats_only_with_the_same_id(
    settings, tmp_path, monkeypatch
):
    from celery import Celery

    monkeypatch.setattr(delivery, "ask_for_a_sender", lambda: None)  # the courier asks
    receiver = Receiver(delay=0.02).start()  # 20 ms an answer: the kill lands mid-delivery
    ops = UserFactory(role="sales_ops")
    _, secret = services.webhook_endpoint_create(
        actor=ops, url=receiver.url, events=["account.created"]
    )
    owner = User.objects.get(pk=ops.pk)
    accounts = Account.objects.bulk_create(
        Account(name=f"Account {n}", owner=owner) for n in range(MESSAGES)
    )
    webhook_events_bulk("account.created", Account, [account.pk for account in accounts])
    redis, port = start_redis(tmp_path)
    env = process_env(
        settings,
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        # A dead sender's claim runs out in 6 s; retries come after a second.
        SALESFLOW_OUTBOX_LEASE_SECONDS="6",
        SALESFLOW_WEBHOOKS_TIMEOUT_SECONDS="2",
        SALESFLOW_WEBHOOKS_RETRY_SCHEDULE=",".join(["1"] * 20),
        SALESFLOW_WEBHOOKS_BATCH="10",
        SALESFLOW_WEBHOOKS_ALLOW_HTTP="true",
        SALESFLOW_WEBHOOKS_ALLOW_PRIVATE="true",
    )

    def worker() -> subprocess.Popen:
        return celery_worker(settings, env, "--concurrency", "2")

    courier = Celery("courier", broker=f"redis://127.0.0.1:{port}/0")

    def beat_poll() -> None:
        courier.send_task("salesflow.core.tasks.deliver_webhooks")

    first, second = worker(), None
    started = time.monotonic()
    try:
        beat_poll()
        beat_poll()  # two senders at once, as the pool allows
        deadline = time.monotonic() + 120
        while len(receiver.received) < 60:
            assert time.monotonic() < deadline, "the worker never started delivering"
            time.sleep(0.01)
        kill_tree(first)  # mid-delivery
        before_the_kill = len(receiver.by_webhook_id())
        assert before_the_kill < MESSAGES, "killed too late to prove anything"
        orphaned = OutboxMessage.objects.filter(status="pending", lease_token__isnull=False)
        assert orphaned.exists()  # the dead sender's claim: only its lease running out frees it

        second = worker()
        deadline = time.monotonic() + 180
        while len(receiver.by_webhook_id()) < MESSAGES:
            assert time.monotonic() < deadline, (
                f"only {len(receiver.by_webhook_id())} of {MESSAGES} delivered"
            )
            beat_poll()
            time.sleep(1)
        sent = OutboxMessage.objects.filter(kind="webhook", status="sent")
        while sent.count() < MESSAGES:
            assert time.monotonic() < deadline, "delivered but never marked sent"
            # Beat keeps polling: a message the dead worker delivered but never marked, or
            # whose answer timed out on a busy machine, is sent again (same webhook-id) only
            # when a sender is asked.
            beat_poll()
            time.sleep(1)
        time.sleep(2)  # anything still on its way would show up as a repeat now
    finally:
        end(first, second, redis)
        courier.close()
        receiver.stop()
    elapsed = time.monotonic() - started

    rows = dict(OutboxMessage.objects.filter(kind="webhook").values_list("message_id", "body"))
    assert len(rows) == MESSAGES
    counts = receiver.by_webhook_id()
    assert set(counts) == set(rows)  # every message arrived, and nothing else did
    for got in receiver.received:  # a repeat is the same message: same id, same body, signed
        assert got.body.decode() == rows[got.webhook_id]
        Webhook(secret).verify(got.body, got.headers)
    repeats = sum(counts.values()) - MESSAGES
    # A repeat can only be a message the receiver got just before the kill, or one still in
    # flight when it came: at most a claimed batch per pool process.
    assert repeats <= 2 * 10
    print(
        f"\n{MESSAGES} webhooks: {before_the_kill} before the kill, {repeats} repeated "
        f"(same webhook-id), {elapsed:.0f} s in all"
    )
