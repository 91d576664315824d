"""Every write of a review: the facilitator's phase moves and reveals, the participants'
items and votes, groups and actions. Each checks who acts and in which phase, and changes
nothing when it refuses."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from pipeline.dashboard import figures
from pipeline.dashboard.scope import DashboardFilters, Scope, add_months
from pipeline.deals.models import Opportunity, Pipeline
from pipeline.deals.selectors import found_stuck_condition
from pipeline.reviews import access
from pipeline.reviews.models import (
    NEXT_PHASE,
    PHASE_TRANSITIONS,
    REOPENABLE,
    Action,
    Group,
    Item,
    Participant,
    PhaseChange,
    Review,
    Vote,
)
from prospects.models import READINESS_QUESTIONS
from salesflow.core import transitions
from salesflow.core.models import User
from salesflow.core.webhooks.events import webhook_event

Phase = Review.Phase
REVEALING = {Phase.PLUSSES: Item.Kind.PLUS, Phase.DELTAS: Item.Kind.DELTA}
MAX_TEXT = 500
ACTION_HORIZON_DAYS = 2 * 365


def _in_phase(review: Review, *phases: str) -> None:
    if review.phase not in phases:
        names = " or ".join(str(Phase(phase).label) for phase in phases)
        raise ValidationError(
            f"That belongs to “{names}”; the review is at “{review.get_phase_display()}”."
        )


def _text(text: str, *, most: int = MAX_TEXT) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError("Write something first.")
    if len(text) > most:
        raise ValidationError(f"Keep it to {most} characters (this is {len(text)}).")
    if "\x00" in text:
        raise ValidationError("That text holds a character salesflow cannot keep.")
    return text


@transaction.atomic
def review_create(
    *,
    actor: User,
    title: str,
    participants: list[User],
    scope: str = Review.Scope.PROCESS,
    pipeline: Pipeline | None = None,
    quarter_start: date | None = None,
    opportunity: Opportunity | None = None,
    anonymous: bool = True,
    votes_each: int = 3,
) -> Review:
    access.check_facilitator(actor)
    review = Review(
        title=_text(title, most=200),
        scope=scope,
        pipeline=pipeline if scope == Review.Scope.PIPELINE else None,
        quarter_start=quarter_start if scope == Review.Scope.QUARTER else None,
        opportunity=opportunity if scope == Review.Scope.DEAL else None,
        anonymous=anonymous,
        votes_each=votes_each,
        facilitator=actor,
    )
    if scope == Review.Scope.PIPELINE and pipeline is None:
        raise ValidationError("Pick the pipeline the review looks at.")
    if scope == Review.Scope.QUARTER and not is_quarter_start(quarter_start):
        raise ValidationError(
            "Pick the quarter the review looks at by its first day: 1 January, 1 April, "
            "1 July or 1 October."
        )
    if scope == Review.Scope.DEAL and (opportunity is None or opportunity.closed_at is None):
        raise ValidationError("Pick a won or lost deal.")
    review.full_clean()
    review.save()
    people = [actor, *(person for person in participants if person.pk != actor.pk)]
    Participant.objects.bulk_create(
        Participant(review=review, user=person, position=position)
        for position, person in enumerate(dict.fromkeys(people))
    )
    return review


def is_quarter_start(day: date | None) -> bool:
    """A calendar quarter's first day, in years whose quarters salesflow can count."""
    return day is not None and 2000 <= day.year <= 2999 and day.day == 1 and day.month % 3 == 1


def _move(review: Review, *, actor: User, seen: str, to: str) -> Review:
    """The guarded UPDATE: the move happens only from the phase the facilitator saw, so a
    double click or a second tab moves the review once and is told where it is now. Only
    moves in PHASE_TRANSITIONS are made (the callers name them: advance, reopen)."""
    if not transitions.allows(PHASE_TRANSITIONS, seen, to):
        raise ValidationError("Reload the board and try again.")
    now = timezone.now()
    moved = Review.objects.filter(pk=review.pk, phase=seen).update(phase=to, updated_at=now)
    if moved != 1:
        current = Review.objects.get(pk=review.pk)
        raise ValidationError(
            f"The review has already moved on: it is at “{current.get_phase_display()}”."
        )
    PhaseChange.objects.create(review=review, from_phase=seen, to_phase=to, at=now, by=actor)
    review.phase = to
    return review


@transaction.atomic
def review_advance(*, actor: User, review: Review, seen: str) -> Review:
    """Move on to the next phase. Round the room ends only when every item is on the
    board."""
    access.check_facilitator(actor)
    if seen == Phase.SUMMARY:
        raise ValidationError("The review is finished.")
    if seen not in NEXT_PHASE:
        raise ValidationError("Reload the board and try again.")
    kind = REVEALING.get(seen)
    if kind and (hidden := review.items.filter(kind=kind, revealed_at=None).count()):
        noun = {Item.Kind.PLUS: ("plus", "plusses"), Item.Kind.DELTA: ("delta", "deltas")}
        raise ValidationError(f"Still to reveal: {hidden} {noun[kind][hidden != 1]}.")
    moved = _move(review, actor=actor, seen=seen, to=NEXT_PHASE[seen])
    if moved.phase == Phase.SUMMARY:
        webhook_event("review.finished", moved, actor=actor)
    return moved


@transaction.atomic
def review_reopen(*, actor: User, review: Review, seen: str) -> Review:
    """Back to private writing, keeping every item and what was already revealed."""
    access.check_facilitator(actor)
    if seen not in REOPENABLE:
        raise ValidationError("Writing can be reopened only while going round the room.")
    return _move(review, actor=actor, seen=seen, to=Phase.WRITING)


@transaction.atomic
def review_reveal_next(*, actor: User, review: Review, seen_revealed: int) -> Item | None:
    """Put the next item on the board, round the room: everyone's first item of the kind
    being revealed before anyone's second. In a named review the room goes in participant
    order; in an anonymous one each round goes in a fresh random order, so the order items
    appear in says nothing about who wrote them. `seen_revealed` is how many items the
    facilitator's board showed: a second click on the same board reveals nothing more."""
    access.check_facilitator(actor)
    review = Review.objects.select_for_update().get(pk=review.pk)  # one reveal at a time
    _in_phase(review, Phase.PLUSSES, Phase.DELTAS)
    kind = REVEALING[review.phase]
    revealed = review.items.filter(revealed_at__isnull=False).exclude(kind=Item.Kind.FACT)
    if revealed.count() != seen_revealed:
        raise ValidationError("Someone revealed an item meanwhile; the board is up to date now.")
    hidden = list(review.items.filter(kind=kind, revealed_at=None).order_by("created_at", "pk"))
    if not hidden:
        return None
    shown = Counter(revealed.filter(kind=kind).values_list("author_id", flat=True))
    waiting = {item.author_id for item in hidden}
    fewest = min(shown[author] for author in waiting)
    turn = [author for author in waiting if shown[author] == fewest]  # this round's left
    if review.anonymous:
        author = secrets.choice(sorted(turn, key=str))
    else:
        order = {
            user_id: position
            for position, user_id in enumerate(
                review.participants.values_list("user_id", flat=True)
            )
        }
        author = min(turn, key=lambda user_id: (order.get(user_id, len(order)), user_id or 0))
    item = next(item for item in hidden if item.author_id == author)
    top = review.items.aggregate(top=Max("reveal_order"))["top"] or 0
    item.revealed_at, item.reveal_order = timezone.now(), top + 1
    item.save(update_fields=["revealed_at", "reveal_order"])
    return item


@transaction.atomic
def item_write(*, actor: User, review: Review, kind: str, text: str) -> Item:
    access.check_participant(actor, review)
    review = Review.objects.select_for_update().get(pk=review.pk)
    _in_phase(review, Phase.WRITING)
    if kind not in {Item.Kind.PLUS, Item.Kind.DELTA}:
        raise ValidationError("An item is a plus or a delta.")
    return Item.objects.create(review=review, kind=kind, text=_text(text), author=actor)


@transaction.atomic
def item_edit(*, actor: User, item: Item, text: str) -> Item:
    review = Review.objects.select_for_update().get(pk=item.review_id)
    _in_phase(review, Phase.WRITING)
    if not access.can_edit_item(actor, item):
        raise PermissionDenied("Only its author edits an item.")
    if item.revealed_at:
        raise ValidationError("That item is already on the board.")
    item.text = _text(text)
    item.save(update_fields=["text"])
    return item


@transaction.atomic
def item_delete(*, actor: User, item: Item) -> None:
    review = Review.objects.select_for_update().get(pk=item.review_id)
    _in_phase(review, Phase.WRITING)
    if not access.can_edit_item(actor, item):
        raise PermissionDenied("Only its author removes an item.")
    if item.revealed_at:
        raise ValidationError("That item is already on the board.")
    item.delete()


def _groupable(review: Review, items: list[Item]) -> None:
    if any(item.review_id != review.pk or item.revealed_at is None for item in items):
        raise ValidationError("Group only items on this review's board.")
    if any(item.kind == Item.Kind.FACT for item in items):
        raise ValidationError("Facts from the data stay as they are; group plusses or deltas.")
    if len({item.kind for item in items}) != 1:
        raise ValidationError("Group plusses with plusses and deltas with deltas.")


def _regroup(items: list[Item], group: Group) -> None:
    """Put the items in the group. Votes follow: a vote on a delta becomes a vote on the
    group it joins. A group the items left keeps its votes while it still holds two items
    or more; left with one, it dissolves and its votes go to that item; left empty, they go
    to the group its items joined. Nobody's vote is lost or counted twice."""
    left = {item.group_id for item in items if item.group_id and item.group_id != group.pk}
    ids = [item.pk for item in items]
    Vote.objects.filter(item_id__in=ids).update(item=None, group=group)
    Item.objects.filter(pk__in=ids).update(group=group)
    _settle(left, emptied_into=group)


def _settle(group_ids: set[int], *, emptied_into: Group | None = None) -> None:
    for old in Group.objects.filter(pk__in=group_ids).prefetch_related("items"):
        members = list(old.items.all())
        if len(members) >= 2:
            continue
        if members:
            Vote.objects.filter(group=old).update(group=None, item=members[0])
            Item.objects.filter(pk=members[0].pk).update(group=None)
        elif emptied_into is not None:
            Vote.objects.filter(group=old).update(group=emptied_into)
        old.delete()


@transaction.atomic
def group_items(*, actor: User, review: Review, items: list[Item], title: str = "") -> Group:
    """Merge similar items into a titled group: the facilitator drops one item on another,
    or ticks several. Without a title the group takes the first item's words."""
    access.check_facilitator(actor)
    _in_phase(review, Phase.GROUPING)
    if len({item.pk for item in items}) < 2:
        raise ValidationError("A group needs two items or more.")
    _groupable(review, items)
    if not (title or "").strip():
        first = " ".join(items[0].text.split())
        title = first if len(first) <= 60 else first[:59].rstrip() + "…"
    group = Group.objects.create(review=review, title=_text(title, most=200))
    _regroup(items, group)
    return group


@transaction.atomic
def group_add(*, actor: User, review: Review, item: Item, group: Group) -> Group:
    """Drop an item on a group: it joins it (leaving the group it was in, if any)."""
    access.check_facilitator(actor)
    _in_phase(review, Phase.GROUPING)
    if group.review_id != review.pk:
        raise ValidationError("That group belongs to another review.")
    if item.group_id == group.pk:
        return group
    kinds = set(group.items.values_list("kind", flat=True))
    _groupable(review, [item])
    if kinds and kinds != {item.kind}:
        raise ValidationError("Group plusses with plusses and deltas with deltas.")
    _regroup([item], group)
    return group


@transaction.atomic
def group_rename(*, actor: User, review: Review, group: Group, title: str) -> Group:
    access.check_facilitator(actor)
    _in_phase(review, Phase.GROUPING)
    if group.review_id != review.pk:
        raise ValidationError("That group belongs to another review.")
    group.title = _text(title, most=200)
    group.save(update_fields=["title"])
    return group


@transaction.atomic
def item_ungroup(*, actor: User, review: Review, item: Item) -> None:
    """Take an item out of its group. The group keeps its votes; left with one item, it
    dissolves and they go to that item."""
    access.check_facilitator(actor)
    _in_phase(review, Phase.GROUPING)
    if item.review_id != review.pk or item.group_id is None:
        raise ValidationError("That item is not in a group on this board.")
    group_id = item.group_id
    Item.objects.filter(pk=item.pk).update(group=None)
    _settle({group_id})


@transaction.atomic
def vote_cast(
    *, actor: User, review: Review, item: Item | None = None, group: Group | None = None
) -> Vote:
    """Spend one of the participant's votes on a delta or a group of deltas."""
    access.check_participant(actor, review)
    # One voter's votes are counted one at a time, so a fast double click cannot overspend.
    Participant.objects.select_for_update().get(review=review, user=actor)
    review.refresh_from_db(fields=["phase", "votes_each"])
    _in_phase(review, Phase.GROUPING)
    if (item is None) == (group is None):
        raise ValidationError("Vote for one delta or one group.")
    if item is not None and (
        item.review_id != review.pk or item.kind != Item.Kind.DELTA or item.revealed_at is None
    ):
        raise ValidationError("Votes go to deltas on this review's board.")
    if group is not None and (
        group.review_id != review.pk or not group.items.filter(kind=Item.Kind.DELTA).exists()
    ):
        raise ValidationError("Votes go to groups of deltas on this review's board.")
    if Vote.objects.filter(review=review, voter=actor).count() >= review.votes_each:
        raise ValidationError(f"You have spent all {review.votes_each} of your votes.")
    return Vote.objects.create(review=review, voter=actor, item=item, group=group)


@transaction.atomic
def vote_withdraw(*, actor: User, vote: Vote) -> None:
    if not access.can_withdraw_vote(actor, vote):
        raise PermissionDenied("That is not your vote.")
    review = Review.objects.get(pk=vote.review_id)
    _in_phase(review, Phase.GROUPING)
    vote.delete()


@transaction.atomic
def action_create(
    *,
    actor: User,
    review: Review,
    text: str,
    owner: User,
    due_on: date,
    source_item: Item | None = None,
    source_group: Group | None = None,
    **process_parts: object,
) -> Action:
    """Turn a delta into an action with an owner and a due date, optionally pointing at the
    part of the process it changes (stage, patience_rule, question or soe_template)."""
    access.check_facilitator(actor)
    _in_phase(review, Phase.ACTIONS)
    if source_item is not None and source_item.review_id != review.pk:
        raise ValidationError("That item belongs to another review.")
    if source_group is not None and source_group.review_id != review.pk:
        raise ValidationError("That group belongs to another review.")
    unknown = set(process_parts) - {"stage", "patience_rule", "question", "soe_template"}
    if unknown:
        raise ValidationError(f"An action cannot point at {', '.join(sorted(unknown))}.")
    if sum(part is not None for part in process_parts.values()) > 1:
        raise ValidationError("Point the action at one part of the process at most.")
    if not owner.is_active:
        raise ValidationError("Give the action to someone still on the team.")
    # Its owner must be able to open the review to see where it came from and tick it off.
    if not Participant.objects.filter(review=review, user=owner).exists():
        raise ValidationError("Give the action to someone taking part in the review.")
    today = timezone.localdate()
    if not today <= due_on <= today + timedelta(days=ACTION_HORIZON_DAYS):
        raise ValidationError(
            f"Set a due date from today to {ACTION_HORIZON_DAYS // 365} years ahead."
        )
    action = Action(
        review=review,
        text=_text(text, most=300),
        owner=owner,
        due_on=due_on,
        source_item=source_item,
        source_group=source_group,
        **process_parts,
    )
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_done(*, actor: User, action: Action) -> Action:
    if not access.can_mark_done(actor, action):
        raise PermissionDenied("Only the action's owner, or sales ops, marks it done.")
    Action.objects.filter(pk=action.pk, done_at=None).update(done_at=timezone.now())
    action.refresh_from_db(fields=["done_at"])
    return action


@transaction.atomic
def review_seed_facts(*, actor: User, review: Review) -> list[Item]:
    """Put read-only context cards from the data on the board before writing starts:
    conversion between stages, slipped SOE steps, stuck deals and the top lost reasons for
    the review's scope (a deal review: that deal's own story). Seeding again replaces them."""
    access.check_facilitator(actor)
    _in_phase(review, Phase.SETUP)
    review.items.filter(kind=Item.Kind.FACT).delete()
    texts = _deal_facts(review.opportunity) if review.opportunity else _process_facts(review)
    now = timezone.now()
    return Item.objects.bulk_create(
        Item(review=review, kind=Item.Kind.FACT, text=text[:MAX_TEXT], revealed_at=now)
        for text in texts
    )


def _process_facts(review: Review) -> list[str]:
    filters: dict[str, object] = {}
    if review.pipeline_id:
        filters["pipeline"] = review.pipeline_id
    if review.quarter_start:
        if not is_quarter_start(review.quarter_start):
            raise ValidationError("This review's quarter is not one salesflow can count.")
        filters["start"] = review.quarter_start
        filters["end"] = add_months(review.quarter_start, 3) - timedelta(days=1)
    scope = Scope(user=review.facilitator, filters=DashboardFilters(**filters))
    facts = [
        f"Conversion {row['stage']} → {row['next_stage']}: {row['conversion']}% "
        f"({row['went_on']} of {row['reached']})"
        for row in figures.funnel(scope)
        if row["reached"]
    ]
    late = sum(row["late"] for row in figures.slipped_steps(scope))
    stuck = scope.deals.filter(
        found_stuck_condition(now=timezone.now()), stage__outcome="open"
    ).count()
    facts.append(f"SOE steps past their date on open deals: {late}. Stuck deals: {stuck}.")
    lost = (
        scope.deals.filter(scope.during("closed_at"), stage__outcome="lost")
        .exclude(close_reason=None)
        .order_by()
        .values_list("close_reason__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "close_reason__name")[:3]
    )
    if lost:
        facts.append("Top lost reasons: " + "; ".join(f"{name} ({n})" for name, n in lost) + ".")
    return facts


def _deal_facts(deal: Opportunity) -> list[str]:
    changes = list(deal.stage_changes.select_related("to_stage", "reason").order_by("at", "pk"))
    path = " → ".join(change.to_stage.name for change in changes)
    facts = [f"Path: {path}."]
    last = changes[-1] if changes else None
    if last is not None and last.reason is not None:
        facts.append(f"{last.reason.get_kind_display()}: {last.reason.name}.")
    soe = getattr(deal, "soe", None)
    facts.append(
        f"SOE received: {soe.get_reception_display().lower()}." if soe else "No SOE was shared."
    )
    if deal.qualified_at:
        answers = "; ".join(
            f"{question}: {getattr(deal, f'qualified_{name}') or 'unknown'}"
            for name, question in READINESS_QUESTIONS
        )
        facts.append(f"When qualified — {answers}.")
    return facts
