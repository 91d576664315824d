"""Every status's table of moves (FollowUp.TRANSITIONS and APPROVAL_TRANSITIONS,
SoeStep.TRANSITIONS, reviews' PHASE_TRANSITIONS) names every status and nothing else. That
each move the table lacks is refused is tested beside each part's other tests (soe/,
followups/ and reviews/ test_state_machines.py)."""

from __future__ import annotations

import pytest

from pipeline.bulkedit.models import BulkEdit
from pipeline.followups.models import FollowUp
from pipeline.reviews.models import PHASE_TRANSITIONS, Review
from pipeline.soe.models import SoeStep

pytestmark = pytest.mark.django_db
Status, Approval, Phase = FollowUp.Status, FollowUp.Approval, Review.Phase


@pytest.mark.parametrize(
    ("table", "choices"),
    [
        (FollowUp.TRANSITIONS, Status),
        (FollowUp.APPROVAL_TRANSITIONS, Approval),
        (SoeStep.TRANSITIONS, SoeStep.Status),
        (PHASE_TRANSITIONS, Phase),
        (BulkEdit.TRANSITIONS, BulkEdit.Status),
    ],
)
def test_every_table_names_every_status_and_nothing_else(table, choices):
    assert set(table) == set(choices.values)
    assert set().union(*table.values()) <= set(choices.values)
