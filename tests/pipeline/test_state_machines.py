"""Each status moves only as its table says (FollowUp.TRANSITIONS and APPROVAL_TRANSITIONS,
SoeStep.TRANSITIONS, reviews' PHASE_TRANSITIONS): a move the table lacks is refused with the
message the page shows, and nothing changes. Taking a move out of a table is enough to
refuse it: the services read the table, they keep no rule of their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pipeline.followups import services as followup_services
from pipeline.followups.models import FollowUp, FollowUpEvent
from pipeline.reviews import services as review_services
from pipeline.reviews.models import NEXT_PHASE, PHASE_TRANSITIONS, REOPENABLE, PhaseChange, Review
from pipeline.soe import services as soe_services
from pipeline.soe.models import SoeChange, SoeStep
from salesflow.core import transitions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Status, Approval, Phase = FollowUp.Status, FollowUp.Approval, Review.Phase


def test_a_table_answers_which_statuses_a_move_starts_from():
    table = {"a": frozenset({"b"}), "b": frozenset({"a", "c"}), "c": frozenset()}
    assert transitions.sources(table, "a") == {"b"}
    assert transitions.sources(table, "c") == {"b"}
    assert transitions.allows(table, "a", "b")
    assert not transitions.allows(table, "a", "c")
    assert not transitions.allows(table, "unknown", "a")


@pytest.mark.parametrize(
    ("table", "choices"),
    [
        (FollowUp.TRANSITIONS, Status),
        (FollowUp.APPROVAL_TRANSITIONS, Approval),
        (SoeStep.TRANSITIONS, SoeStep.Status),
        (PHASE_TRANSITIONS, Phase),
    ],
)
def test_every_table_names_every_status_and_nothing_else(table, choices):
    assert set(table) == set(choices.values)
    assert set().union(*table.values()) <= set(choices.values)


# --- SOE steps ----------------------------------------------------------------------------


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


# --- Follow-ups ---------------------------------------------------------------------------


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


# --- Review phases ------------------------------------------------------------------------


def test_the_phase_moves_are_read_off_one_table():
    assert NEXT_PHASE == {
        Phase.SETUP: Phase.WRITING,
        Phase.WRITING: Phase.PLUSSES,
        Phase.PLUSSES: Phase.DELTAS,
        Phase.DELTAS: Phase.GROUPING,
        Phase.GROUPING: Phase.ACTIONS,
        Phase.ACTIONS: Phase.SUMMARY,
    }
    assert {Phase.PLUSSES, Phase.DELTAS} == REOPENABLE
    assert PHASE_TRANSITIONS[Phase.SUMMARY] == frozenset()


@pytest.fixture
def review(rep):
    ops = UserFactory(role="sales_ops")
    return ops, review_services.review_create(actor=ops, title="Q3", participants=[rep])


def test_writing_is_not_reopened_before_the_room_goes_round(review):
    ops, review = review
    review_services.review_advance(actor=ops, review=review, seen=Phase.SETUP)
    with pytest.raises(ValidationError, match="only while going round the room"):
        review_services.review_reopen(actor=ops, review=review, seen=Phase.WRITING)
    assert Review.objects.get(pk=review.pk).phase == Phase.WRITING


def test_a_phase_move_taken_out_of_the_table_is_refused(review, monkeypatch):
    ops, review = review
    monkeypatch.setitem(PHASE_TRANSITIONS, Phase.SETUP, frozenset())
    with pytest.raises(ValidationError, match=r"Reload the board and try again\."):
        review_services.review_advance(actor=ops, review=review, seen=Phase.SETUP)
    assert Review.objects.get(pk=review.pk).phase == Phase.SETUP
    assert not PhaseChange.objects.filter(review=review).exists()
