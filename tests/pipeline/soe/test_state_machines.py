"""An SOE step moves only as SoeStep.TRANSITIONS says: a move the table lacks is refused with
the message the page shows, and nothing changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pipeline.soe import services as soe_services
from pipeline.soe.models import SoeChange, SoeStep
from salesflow.core import transitions

pytestmark = pytest.mark.django_db


@pytest.fixture
def step(rep, deal):
    sequence = soe_services.soe_start(actor=rep, opportunity=deal)
    return soe_services.soe_step_add(actor=rep, sequence=sequence, text="Security review")


def test_a_done_step_is_not_skipped_straight_away(rep, step):
    assert not transitions.allows(SoeStep.TRANSITIONS, SoeStep.Status.DONE, SoeStep.Status.SKIPPED)
    soe_services.soe_step_done(actor=rep, step=step)
    with pytest.raises(ValidationError, match=r"This step is already done\."):
        soe_services.soe_step_skip(actor=rep, step=step, reason="They dropped it")
    step.refresh_from_db()
    assert (step.status, step.skip_reason) == ("done", "")


def test_a_step_move_taken_out_of_the_table_is_refused(rep, step, monkeypatch):
    open_, skipped = SoeStep.Status.OPEN, SoeStep.Status.SKIPPED
    monkeypatch.setitem(SoeStep.TRANSITIONS, open_, frozenset({SoeStep.Status.DONE}))
    with pytest.raises(ValidationError, match=r"This step is already open\."):
        soe_services.soe_step_skip(actor=rep, step=step, reason="They dropped it")
    step.refresh_from_db()
    assert step.status == open_
    assert not SoeChange.objects.filter(step=step, action=skipped).exists()
