from celery import shared_task

from salesflow.core import services


# Idempotent (an upsert), so it may be acknowledged late and safely run again after a crash.
@shared_task(acks_late=True, bind=True)
def record_worker_heartbeat(self) -> None:  # noqa: ANN001 - Celery binds the task instance
    services.worker_heartbeat_record(worker=self.request.hostname or "unknown")
