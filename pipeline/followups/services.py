"""Writes for follow-ups: proposing and holding them by the patience rules, and each move a
person makes (surface now, done, dismiss, approve or send back, rework). Status moves are
checked against FollowUp.TRANSITIONS, approval moves against FollowUp.APPROVAL_TRANSITIONS.
The sweep that surfaces them when their time comes is pipeline.followups.sweep."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from pipeline.deals import selectors as deal_selectors
from pipeline.deals.models import Opportunity
from pipeline.deals.services import opportunities_unstick
from pipeline.followups import access as followup_access
from pipeline.followups import patience
from pipeline.followups import selectors as followup_selectors
from pipeline.followups.models import FollowUp, FollowUpEvent, PatienceRule
from pipeline.soe.models import SoeStep
from prospects import access as prospect_access
from prospects import services as prospect_services
from prospects.models import (
    Account,
    Conversation,
    ConversationKind,
)
from salesflow.core import transitions
from salesflow.core.models import Notification, User
from salesflow.core.services import model_update
from salesflow.core.webhooks.events import webhook_event


def _patience_facts(
    *,
    owner: User,
    account: Account,
    opportunity: Opportunity | None,
    not_before: date | None = None,
) -> patience.Facts:
    last = (
        Conversation.objects.filter(account=account)
        .order_by("-occurred_at", "-pk")
        .values_list("kind", "occurred_at")
        .first()
    )
    step_done_on = None
    dragging = False
    if opportunity is not None:
        step_done_on = (
            SoeStep.objects.filter(sequence__opportunity=opportunity, status=SoeStep.Status.DONE)
            .order_by("-done_on")
            .values_list("done_on", flat=True)
            .first()
        )
        in_evaluation = opportunity.stage.question_kind == ConversationKind.EVALUATION_CHECK_IN
        dragging = (
            in_evaluation
            and deal_selectors.stuck_opportunities(
                Opportunity.objects.filter(pk=opportunity.pk)
            ).exists()
        )
    return patience.Facts(
        now=timezone.now(),
        time_zone=owner.time_zone,
        last_conversation=tuple(last) if last else None,  # type: ignore[arg-type]
        last_step_done_on=step_done_on,
        dragging_evaluation=dragging,
        not_before=not_before,
    )


# How far ahead a rep may put a follow-up off: further than this is a forgotten one.
NOT_BEFORE_MOST_DAYS = 366


def clean_not_before(day: date | None, *, owner: User) -> date | None:
    """The rep's "not before" day: today or later in the owner's zone (a past day holds
    nothing, so it is refused rather than silently ignored), and within a year."""
    if day is None:
        return None
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(owner.time_zone)).date()
    if day < today:
        raise ValidationError({"not_before": "Pick today or a later day."})
    if day > today + timedelta(days=NOT_BEFORE_MOST_DAYS):
        raise ValidationError({"not_before": "Pick a day within the next year."})
    return day


def clean_reason(text: str, ask: str) -> str:
    """A required reason of up to 300 characters, stripped; refused with `ask` otherwise."""
    text = text.strip()
    if not text or len(text) > 300:
        raise ValidationError({"reason": f"{ask} (up to 300 characters)."})
    return text


def _followup_event(
    follow_up: FollowUp, action: FollowUpEvent.Action, *, by: User | None, note: str = ""
) -> None:
    FollowUpEvent.objects.create(
        follow_up=follow_up, action=action, at=timezone.now(), by=by, note=note[:400]
    )


@transaction.atomic
def followup_create(
    *,
    actor: User,
    account: Account,
    purpose: str,
    opportunity: Opportunity | None = None,
    channel: str = "email",
    draft: str = "",
    proposed: bool = False,
    not_before: date | None = None,
) -> FollowUp:
    """A follow-up, held for as long as the patience rules say, and why; with `not_before`,
    not before the business morning of that day either (the latest hold wins)."""
    if not prospect_access.can_edit_account(actor, account):
        raise ValidationError("This account is read-only for you.")
    if opportunity is not None and opportunity.account_id != account.pk:
        raise ValidationError({"opportunity": "Pick one of this account's deals."})
    purpose = purpose.strip()
    if not purpose:
        raise ValidationError({"purpose": "Say what this follow-up will accomplish."})
    owner = opportunity.owner if opportunity is not None else account.owner
    not_before = clean_not_before(not_before, owner=owner)
    facts = _patience_facts(
        owner=owner, account=account, opportunity=opportunity, not_before=not_before
    )
    found = patience.holds(facts, list(PatienceRule.objects.filter(active=True)))
    team = owner.team
    follow_up = FollowUp(
        account=account,
        opportunity=opportunity,
        owner=owner,
        review=FollowUp.Approval.PENDING if team and team.review_followups else "",
        channel=channel,
        draft=draft,
        purpose=purpose,
        surface_at=patience.surface_at(facts, found),
        not_before=not_before,
        holds=[hold.as_json() for hold in found],
        end_of_quarter=any(h.rule == PatienceRule.Kind.END_OF_QUARTER for h in found),
        proposed=proposed,
    )
    follow_up.full_clean()
    follow_up.save()
    note = "; ".join(hold.why for hold in found) or "no rule applies: due at once"
    _followup_event(follow_up, FollowUpEvent.Action.HELD, by=None if proposed else actor, note=note)
    if opportunity is not None:
        # Held back on purpose, the deal marinates: the stuck check's finding no longer
        # stands (the rule decides: a follow-up due at once changes nothing).
        opportunities_unstick(Opportunity.objects.filter(pk=opportunity.pk))
    if follow_up.review == FollowUp.Approval.PENDING:
        _tell_about_approval(follow_up, team.manager, "A draft to review", follow_up.purpose)
    return follow_up


def _tell_about_approval(follow_up: FollowUp, user: User | None, title: str, body: str) -> None:
    if user is None:
        return
    Notification.objects.create(
        user=user,
        kind=Notification.Kind.FOLLOW_UP,
        title=f"{title}: {follow_up.account.name}"[:200],
        body=body[:1000],
        url=reverse("pipeline:followup_detail", args=[follow_up.pk]),
    )


@dataclass(frozen=True)
class Proposal:
    """What a patience rule's proposal came to: a new follow-up, or the one already waiting
    on the account or deal, held by the new reasons too (`added`)."""

    follow_up: FollowUp
    created: bool
    added: tuple[str, ...] = ()

    def message(self) -> str:
        """Said to the rep where the conversation or step was logged, in their own zone."""
        follow_up = self.follow_up
        if follow_up.surface_at <= timezone.now():
            when = "due now"
        else:
            when = f"held until {patience.describe_end(follow_up.surface_at)}"
        reasons = "; ".join(hold["why"] for hold in follow_up.holds)
        reasons = f": {reasons}." if reasons else "."
        if self.created:
            return f"A follow-up is proposed, {when}{reasons}"
        if not self.added:
            return f"The follow-up already waiting, “{follow_up.purpose}”, stays {when}{reasons}"
        return f"The follow-up already waiting, “{follow_up.purpose}”, is now {when}{reasons}"


@transaction.atomic
def followup_hold(*, actor: User, follow_up: FollowUp) -> Proposal:
    """Hold a waiting follow-up by the patience rules that apply now (after a new
    conversation, a step done): each new reason joins its list and the latest hold wins, so
    it never surfaces earlier than it was to. Only a held follow-up learns holds; the history
    says which were added."""
    locked = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("account", "opportunity__stage", "owner")
        .get(pk=follow_up.pk)
    )
    if not followup_access.can_edit_followup(actor, locked):
        raise ValidationError("This follow-up is read-only for you.")
    if locked.status != FollowUp.Status.HELD:
        raise ValidationError(
            f"This follow-up is already {locked.get_status_display().lower()}: it waits no more."
        )
    facts = _patience_facts(
        owner=locked.owner,
        account=locked.account,
        opportunity=locked.opportunity,
        not_before=locked.not_before,
    )
    found = patience.holds(facts, list(PatienceRule.objects.filter(active=True)))
    holds = [dict(hold) for hold in locked.holds]
    added: list[str] = []
    for hold in found:
        same = next((h for h in holds if (h["rule"], h["why"]) == (hold.rule, hold.why)), None)
        if same is None:
            holds.append(hold.as_json())
            added.append(hold.why)
        elif datetime.fromisoformat(same["until"]) < hold.until:
            same["until"] = hold.until.isoformat()
            added.append(hold.why)
    if not added:
        return Proposal(locked, created=False)
    surface_at = max(locked.surface_at, patience.surface_at(facts, found))
    end_of_quarter = any(h["rule"] == PatienceRule.Kind.END_OF_QUARTER for h in holds)
    # The row is locked, so the sweep (which skips locked rows) cannot surface it meanwhile.
    moved = FollowUp.objects.filter(pk=locked.pk, status=FollowUp.Status.HELD).update(
        surface_at=surface_at, holds=holds, end_of_quarter=end_of_quarter
    )
    if moved != 1:
        raise ValidationError("This follow-up waits no more.")
    locked.refresh_from_db()
    _followup_event(locked, FollowUpEvent.Action.HOLD_ADDED, by=actor, note="; ".join(added))
    return Proposal(locked, created=False, added=tuple(added))


@transaction.atomic
def followup_propose(
    *, actor: User, account: Account, opportunity: Opportunity | None, purpose: str
) -> Proposal:
    """A follow-up the rules suggest; where one they proposed is still waiting on this
    account or deal, that one is held by the new reasons instead of a second being made."""
    # Locked, so the sweep cannot surface it while it learns the new holds; one the sweep
    # has just surfaced no longer matches once its lock is released, and a new one is made.
    waiting = (
        FollowUp.objects.select_for_update(of=("self",))
        .filter(
            account=account, opportunity=opportunity, status=FollowUp.Status.HELD, proposed=True
        )
        .order_by("pk")
        .first()
    )
    if waiting is not None:
        return followup_hold(actor=actor, follow_up=waiting)
    follow_up = followup_create(
        actor=actor, account=account, opportunity=opportunity, purpose=purpose, proposed=True
    )
    return Proposal(follow_up, created=True)


# What an automatically proposed follow-up is for; the rep edits it freely.
PURPOSE_AFTER_CONVERSATION = (
    "Hear how the {kind} conversation sits with them — does it still answer their why?"
)
PURPOSE_AFTER_STEP = "“{step}” is done: check in on what comes next, in their words."


def followup_after_conversation(*, actor: User, conversation: Conversation) -> Proposal | None:
    """After a conversation of a kind a patience rule names, propose a follow-up — held — or
    hold the one already waiting by this conversation too."""
    rules = PatienceRule.objects.filter(
        active=True,
        kind=PatienceRule.Kind.AFTER_CONVERSATION,
        conversation_kind=conversation.kind,
    )
    if not rules.exists():
        return None
    deal = (
        Opportunity.objects.filter(account_id=conversation.account_id, closed_at__isnull=True)
        .order_by("-updated_at")
        .first()
    )
    purpose = PURPOSE_AFTER_CONVERSATION.format(kind=conversation.get_kind_display().lower())
    return followup_propose(
        actor=actor, account=conversation.account, opportunity=deal, purpose=purpose
    )


def _followup_move(
    *, actor: User, follow_up: FollowUp, to: str, when: Q | None = None, **values: object
) -> FollowUp:
    """Move the follow-up's status to `to` with a guarded UPDATE: only from a status the
    table allows (FollowUp.TRANSITIONS) and only `when` the move's own rule holds, so of
    two clicks (or a click and the sweep) one counts; a refusal says why."""
    current = FollowUp.objects.select_related("account__owner", "owner").get(pk=follow_up.pk)
    if not followup_access.can_move_followup(actor, current):
        raise ValidationError("This follow-up is read-only for you.")
    condition = Q(status__in=transitions.sources(FollowUp.TRANSITIONS, to))
    if when is not None:
        condition &= when
    moved = FollowUp.objects.filter(condition, pk=current.pk).update(status=to, **values)
    if moved != 1:
        held = current.status == FollowUp.Status.HELD
        if held and current.review == FollowUp.Approval.PENDING:
            raise ValidationError("This follow-up is waiting for the manager's review.")
        if held and current.review == FollowUp.Approval.SENT_BACK:
            raise ValidationError("This follow-up was sent back: rework it first.")
        if held:
            raise ValidationError("This follow-up is still held: its time has not come.")
        raise ValidationError(f"This follow-up is already {current.get_status_display().lower()}.")
    current.refresh_from_db()
    return current


@transaction.atomic
def followup_surface_now(*, actor: User, follow_up: FollowUp, reason: str) -> FollowUp:
    """Break the patience on purpose: the reason is kept, and the manager sees it."""
    reason = clean_reason(reason, "Say why it cannot wait")
    now = timezone.now()
    done = _followup_move(
        actor=actor,
        follow_up=follow_up,
        to=FollowUp.Status.SURFACED,
        # Not past an approval the team asked for: that is the manager's call.
        when=followup_selectors.FOLLOWUP_MAY_SURFACE,
        surfaced_at=now,
        surfaced_early_reason=reason,
    )
    _followup_event(done, FollowUpEvent.Action.SURFACED_EARLY, by=actor, note=reason)
    webhook_event("follow_up.surfaced", done, actor=actor)
    return done


@transaction.atomic
def followup_done(*, actor: User, follow_up: FollowUp, kind: str = "", notes: str = "") -> FollowUp:
    """Done once it is due: surfaced, or held past its time (the sweep may not have run
    yet — "due" is read from the database, never from the queue). With a kind, the
    conversation it led to is logged in the same step."""
    now = timezone.now()
    done = _followup_move(
        actor=actor,
        follow_up=follow_up,
        to=FollowUp.Status.DONE,
        when=followup_selectors.followup_due_condition(now=now),
        closed_at=now,
    )
    _followup_event(done, FollowUpEvent.Action.DONE, by=actor)
    if kind:
        prospect_services.conversation_log(
            actor=actor,
            account=done.account,
            occurred_at=now,
            channel=done.channel,
            kind=kind,
            notes=notes,
        )
    webhook_event("follow_up.done", done, actor=actor)
    return done


@transaction.atomic
def followup_dismiss(*, actor: User, follow_up: FollowUp, reason: str) -> FollowUp:
    reason = clean_reason(reason, "Say why it is dismissed")
    done = _followup_move(
        actor=actor,
        follow_up=follow_up,
        to=FollowUp.Status.DISMISSED,
        closed_at=timezone.now(),
        dismissed_reason=reason,
    )
    _followup_event(done, FollowUpEvent.Action.DISMISSED, by=actor, note=reason)
    return done


def _followup_decide(
    *, actor: User, follow_up: FollowUp, to: str, comment: str, draft: str | None
) -> FollowUp:
    """The manager's second look, approving or sending back (`to`): only a draft whose
    approval may move there (FollowUp.APPROVAL_TRANSITIONS), in a team that still asks."""
    comment = comment.strip()

    def check(locked: FollowUp, data: dict[str, object]) -> None:
        if not followup_access.may_approve_followup(user=actor, follow_up=locked):
            raise ValidationError("Only the team's manager reviews its follow-ups.")
        waiting = FollowUp.objects.filter(
            followup_selectors.FOLLOWUP_AWAITING_APPROVAL,
            pk=locked.pk,
            review__in=transitions.sources(FollowUp.APPROVAL_TRANSITIONS, to),
        )
        if not waiting.exists():  # a team that stopped asking for approval released it
            raise ValidationError("This follow-up is not waiting for a review.")
        if to == FollowUp.Approval.SENT_BACK and not comment:
            raise ValidationError({"comment": "Say what to change before it goes out."})
        if len(comment) > 500 or (draft is not None and len(draft) > 10_000):
            raise ValidationError(
                "Keep the comment under 500 and the draft under 10,000 characters."
            )

    data: dict[str, object] = {"review": to, "review_comment": comment, "reviewed_by": actor}
    if draft is not None:
        data["draft"] = draft
    locked, _ = model_update(
        instance=follow_up,
        fields=["draft", "review", "review_comment", "reviewed_by"],
        data=data,
        check=check,
        related=["owner"],
    )
    approved = to == FollowUp.Approval.APPROVED
    action = FollowUpEvent.Action.APPROVED if approved else FollowUpEvent.Action.SENT_BACK
    _followup_event(locked, action, by=actor, note=comment)
    if not approved:
        _tell_about_approval(locked, locked.owner, "Sent back for rework", comment)
    return locked


@transaction.atomic
def followup_approve(
    *, actor: User, follow_up: FollowUp, comment: str = "", draft: str | None = None
) -> FollowUp:
    """The manager approves a draft waiting for approval, perhaps editing it first; it then
    surfaces when its time comes."""
    return _followup_decide(
        actor=actor,
        follow_up=follow_up,
        to=FollowUp.Approval.APPROVED,
        comment=comment,
        draft=draft,
    )


@transaction.atomic
def followup_send_back(
    *, actor: User, follow_up: FollowUp, comment: str = "", draft: str | None = None
) -> FollowUp:
    """The manager sends a draft back for rework, saying what to change (required)."""
    return _followup_decide(
        actor=actor,
        follow_up=follow_up,
        to=FollowUp.Approval.SENT_BACK,
        comment=comment,
        draft=draft,
    )


# Said by the service and by the page that parses the rework form.
REWORK_LIMITS = "Say what it will accomplish (up to 300 characters); drafts up to 10,000."


@transaction.atomic
def followup_revise(*, actor: User, follow_up: FollowUp, draft: str, purpose: str) -> FollowUp:
    """The rep reworks a draft; where the team asks for approval, it goes back for it."""
    purpose = purpose.strip()

    def check(locked: FollowUp, data: dict[str, object]) -> None:
        if not followup_access.can_edit_followup(actor, locked):
            raise ValidationError("This follow-up is read-only for you.")
        if locked.status != FollowUp.Status.HELD:
            raise ValidationError("Only a held follow-up can be reworked.")
        if not purpose or len(purpose) > 300 or len(draft) > 10_000:
            raise ValidationError({"purpose": REWORK_LIMITS})
        # Approved or sent back, a reworked draft waits for the manager again.
        pending = FollowUp.Approval.PENDING
        if transitions.allows(FollowUp.APPROVAL_TRANSITIONS, locked.review, pending):
            data["review"] = pending

    locked, _ = model_update(
        instance=follow_up,
        fields=["draft", "purpose", "review"],
        data={"draft": draft, "purpose": purpose},
        check=check,
        related=["account", "owner__team__manager"],
    )
    _followup_event(locked, FollowUpEvent.Action.REWORKED, by=actor)
    if locked.review == FollowUp.Approval.PENDING and locked.owner.team is not None:
        _tell_about_approval(locked, locked.owner.team.manager, "A draft to review", locked.purpose)
    return locked
