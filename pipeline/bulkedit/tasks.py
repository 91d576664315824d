"""The bulk edit's worker jobs. Registered by PipelineConfig.ready() (Celery discovers only
each app's own tasks module)."""

from __future__ import annotations

from celery import shared_task

from pipeline.bulkedit import services

# A bulk edit of the largest selection allowed takes minutes, not the seconds an ordinary
# background job is given; a run cut short anyway is resumed where it stopped.
RUN_TIME_LIMIT = 1800


# acks_late: a worker that dies mid-run leaves the message to be delivered again, and the
# run takes the job over once its lease lapses; a duplicate delivery of a live job claims
# nothing. Safe to run twice: every deal's result is kept with its change.
@shared_task(acks_late=True, time_limit=RUN_TIME_LIMIT, soft_time_limit=RUN_TIME_LIMIT - 100)
def run_bulk_edit(job_id: int) -> None:
    services.bulk_edit_run(job_id=job_id)


# Beat's safety net, every minute: the broker redelivers a dead worker's message only after
# its visibility timeout (an hour on Redis), and a task lost before it reached the broker is
# never delivered at all.
@shared_task
def resume_bulk_edits() -> int:
    ids = services.bulk_edits_resume()
    for job_id in ids:
        run_bulk_edit.delay(job_id)
    return len(ids)
