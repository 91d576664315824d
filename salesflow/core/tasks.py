from celery import shared_task
from celery.signals import worker_ready

from salesflow.core import services


# Idempotent (an upsert), so it may be acknowledged late and safely run again after a crash.
@shared_task(acks_late=True, bind=True)
def record_worker_heartbeat(self) -> None:  # noqa: ANN001 - Celery binds the task instance
    services.worker_heartbeat_record(worker=self.request.hostname or "unknown")


@worker_ready.connect
def _heartbeat_on_start(sender: object = None, **kwargs: object) -> None:
    # Report in at once rather than after the first beat interval, so a fresh start does
    # not show "no worker has checked in" for a minute.
    record_worker_heartbeat.delay()
