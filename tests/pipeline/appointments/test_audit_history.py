"""An appointment's changes are in the audit history with who made them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.core.audit.selectors import object_history

pytestmark = pytest.mark.django_db


def test_a_move_from_the_page_is_one_event_with_its_user(client, rep, appointment):
    client.force_login(rep)
    new = appointment.starts_at + timedelta(days=1)
    client.post(
        reverse("pipeline:appointment_reschedule", args=[appointment.pk]),
        {"starts_at": timezone.localtime(new).strftime("%Y-%m-%dT%H:%M"), "moved_by": "prospect"},
    )
    changes = [change for change in object_history(appointment)[0] if change.action == "changed"]
    assert len(changes) == 1
    [change] = changes
    assert change.actor == rep
    assert "starts_at" in [field.name for field in change.fields]
