from datetime import timedelta

from celery import shared_task
from django.conf import settings

from pipeline.dashboard import snapshot
from pipeline.deals import services as deal_services
from pipeline.followups import sweep as followup_sweep


# Safe to run twice (each deal is claimed with a conditional UPDATE, so nobody is told
# twice), hence acknowledged late: a worker that dies mid-run leaves it to be run again.
@shared_task(acks_late=True)
def mark_stuck_deals() -> dict[str, int]:
    newly_stuck, unstuck = deal_services.opportunities_mark_stuck()
    return {"newly_stuck": newly_stuck, "unstuck": unstuck}


# Idempotent: each batch is claimed with SKIP LOCKED and a status guard, so a second run
# (or a redelivery) finds nothing left to take. Owners are told in the same transactions.
@shared_task(acks_late=True)
def surface_due_followups() -> int:
    return followup_sweep.followups_surface_due()


# Safe to run twice: it only works figures out again, and the newest are kept.
@shared_task
def keep_dashboards_fresh() -> int:
    keep = timedelta(minutes=settings.SALESFLOW_DASHBOARD_KEEP_MINUTES)
    return snapshot.keep_fresh(older_than=keep / 2)
