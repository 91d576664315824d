"""A real Celery worker takes a task from Redis and writes to PostgreSQL."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from salesflow.core.models import WorkerHeartbeat
from salesflow.core.tasks import record_worker_heartbeat


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_through_redis_and_writes_to_postgres(celery_worker_thread, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    record_worker_heartbeat.delay()
    assert wait_for(WorkerHeartbeat.objects.exists), "the worker never wrote its heartbeat"
    heartbeat = WorkerHeartbeat.objects.get()
    # The row names the worker that ran the task (its node name, or the host part of it).
    assert celery_worker_thread.hostname.endswith(heartbeat.worker)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_task_enqueued_inside_a_transaction_waits_for_commit(celery_worker_thread):
    with transaction.atomic():
        record_worker_heartbeat.delay_on_commit()
        time.sleep(1.0)
        # Not sent yet: the worker cannot act on rows that are not committed.
        assert not WorkerHeartbeat.objects.exists()
    assert wait_for(WorkerHeartbeat.objects.exists)


def test_heartbeat_task_logic_is_an_idempotent_upsert(db):
    # Eager call of the task's own logic: running it twice keeps one row per worker.
    record_worker_heartbeat.apply()
    first = WorkerHeartbeat.objects.get()
    record_worker_heartbeat.apply()
    second = WorkerHeartbeat.objects.get()
    assert second.pk == first.pk
    assert second.last_seen >= first.last_seen
