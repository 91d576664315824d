"""A background job's change is recorded as done by the job."""

from __future__ import annotations

import time

import pytest

from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp
from salesflow.core.audit.selectors import object_history
from tests.factories import AccountFactory


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_follow_up_surfaced_by_the_worker_is_one_event_by_the_job(celery_worker_thread, rep):
    from pipeline.tasks import surface_due_followups

    follow_up = followup_services.followup_create(
        actor=rep, account=AccountFactory(owner=rep), purpose="Ask about the pilot"
    )
    surface_due_followups.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if FollowUp.objects.filter(pk=follow_up.pk, status="surfaced").exists():
            break
        time.sleep(0.2)

    changes = [c for c in object_history(follow_up)[0] if c.action == "changed"]
    assert len(changes) == 1
    [change] = changes
    assert (change.door, change.door_detail) == ("task", "pipeline.tasks.surface_due_followups")
    assert change.door_label == "by the background job “surface due followups”"
    assert (change.actor, change.actor_name) == (None, "salesflow")
    assert ("status", "Held", "Surfaced") in [(f.name, f.old, f.new) for f in change.fields]
