"""A follow-up moves only as FollowUp.TRANSITIONS says, and its draft's approval only as
APPROVAL_TRANSITIONS says: a move the table lacks is refused with the message the page
shows, and nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp, FollowUpEvent
from salesflow.core import transitions

pytestmark = pytest.mark.django_db
Status, Approval = FollowUp.Status, FollowUp.Approval


def test_a_closed_follow_up_moves_no_more(rep, account):
    follow_up = followup_services.followup_create(actor=rep, account=account, purpose="Ask")
    followup_services.followup_dismiss(actor=rep, follow_up=follow_up, reason="They wrote")
    assert FollowUp.TRANSITIONS[Status.DISMISSED] == frozenset()
    with pytest.raises(ValidationError, match=r"This follow-up is already dismissed\."):
        followup_services.followup_done(actor=rep, follow_up=follow_up)
    with pytest.raises(ValidationError, match=r"This follow-up is already dismissed\."):
        followup_services.followup_surface_now(actor=rep, follow_up=follow_up, reason="Now")
    follow_up.refresh_from_db()
    assert follow_up.status == Status.DISMISSED


def test_a_follow_up_move_taken_out_of_the_table_is_refused(rep, account, monkeypatch):
    follow_up = followup_services.followup_create(actor=rep, account=account, purpose="Ask")
    FollowUp.objects.filter(pk=follow_up.pk).update(surface_at=timezone.now() + timedelta(days=3))
    monkeypatch.setitem(FollowUp.TRANSITIONS, Status.HELD, frozenset({Status.DONE}))
    with pytest.raises(ValidationError, match="still held"):
        followup_services.followup_dismiss(actor=rep, follow_up=follow_up, reason="They wrote")
    with pytest.raises(ValidationError, match="still held"):
        followup_services.followup_surface_now(actor=rep, follow_up=follow_up, reason="Now")
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.dismissed_reason) == (Status.HELD, "")
    assert list(follow_up.events.values_list("action", flat=True)) == ["held"]


@pytest.fixture
def pending(rep, manager, account):
    rep.team.review_followups = True
    rep.team.save()
    return followup_services.followup_create(actor=rep, account=account, purpose="Ask")


def test_an_approved_draft_is_not_sent_back_without_rework(rep, manager, pending):
    followup_services.followup_approve(actor=manager, follow_up=pending)
    assert not transitions.allows(
        FollowUp.APPROVAL_TRANSITIONS, Approval.APPROVED, Approval.SENT_BACK
    )
    with pytest.raises(ValidationError, match="not waiting for a review"):
        followup_services.followup_send_back(actor=manager, follow_up=pending, comment="No")
    pending.refresh_from_db()
    assert pending.review == Approval.APPROVED


def test_an_approval_move_taken_out_of_the_table_is_refused(manager, pending, monkeypatch):
    monkeypatch.setitem(
        FollowUp.APPROVAL_TRANSITIONS, Approval.PENDING, frozenset({Approval.APPROVED})
    )
    with pytest.raises(ValidationError, match="not waiting for a review"):
        followup_services.followup_send_back(actor=manager, follow_up=pending, comment="No")
    pending.refresh_from_db()
    assert (pending.review, pending.review_comment) == (Approval.PENDING, "")
    assert not pending.events.filter(action=FollowUpEvent.Action.SENT_BACK).exists()


def test_reworking_asks_for_approval_again_only_where_the_table_allows(rep, manager, pending):
    followup_services.followup_send_back(actor=manager, follow_up=pending, comment="Shorter")
    reworked = followup_services.followup_revise(
        actor=rep, follow_up=pending, purpose="Ask", draft="Short"
    )
    assert reworked.review == Approval.PENDING
    rep.team.review_followups = False
    rep.team.save()
    free = followup_services.followup_create(actor=rep, account=pending.account, purpose="Go")
    assert free.review == Approval.NONE
    revised = followup_services.followup_revise(actor=rep, follow_up=free, purpose="Go", draft="")
    assert revised.review == Approval.NONE  # NONE never moves
