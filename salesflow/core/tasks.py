from celery import shared_task
from celery.signals import worker_ready

from salesflow.core import services
from salesflow.core.audit import services as audit_services
from salesflow.core.outbox import services as outbox_services
from salesflow.core.webhooks import delivery as webhook_delivery


# Idempotent (an upsert), so it may be acknowledged late and safely run again after a crash.
@shared_task(acks_late=True, bind=True)
def record_worker_heartbeat(self) -> None:  # noqa: ANN001 - Celery binds the task instance
    services.worker_heartbeat_record(worker=self.request.hostname or "unknown")


@worker_ready.connect
def _heartbeat_on_start(sender: object = None, **kwargs: object) -> None:
    # Report in at once rather than after the first beat interval, so a fresh start does
    # not show "no worker has checked in" for a minute.
    record_worker_heartbeat.delay()


# Safe to run twice and in parallel (rows are claimed with SKIP LOCKED and a lease), hence
# acknowledged late: a worker that dies mid-batch leaves the rest to the next run.
@shared_task(acks_late=True)
def send_outbox() -> dict[str, int]:
    report = outbox_services.outbox_send_due()
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


# Like send_outbox: rows claimed with SKIP LOCKED and a lease, so safe twice and in parallel.
@shared_task(acks_late=True)
def deliver_webhooks() -> dict[str, int]:
    report = webhook_delivery.webhooks_deliver_due()
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


# A plain delete by age: running it twice deletes nothing more.
@shared_task(acks_late=True)
def prune_audit_history() -> int:
    return audit_services.audit_prune_expired()
