from celery import shared_task

from pipeline import services


# Safe to run twice (each deal is claimed with a conditional UPDATE, so nobody is told
# twice), hence acknowledged late: a worker that dies mid-run leaves it to be run again.
@shared_task(acks_late=True)
def mark_stuck_deals() -> dict[str, int]:
    newly_stuck, unstuck = services.opportunities_mark_stuck()
    return {"newly_stuck": newly_stuck, "unstuck": unstuck}
