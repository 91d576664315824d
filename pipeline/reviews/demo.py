"""Demo reviews for seed_demo: one finished, with actions in every state, and the next review
of the same scope ready to start, so it opens on what became of those actions.

`run_review` plays a whole review through the services, the way a facilitator and the
participants would; the tests use it too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from pipeline.deals.models import Stage
from pipeline.followups.models import PatienceRule
from pipeline.reviews import services
from pipeline.reviews.models import Action, Item, Review
from prospects.models import FacilitativeQuestion
from salesflow.core.models import User

Phase = Review.Phase

FINISHED_TITLE = "Third quarter: how we sell"
NEXT_TITLE = "Fourth quarter: how we sell"


def run_review(
    *,
    facilitator: User,
    title: str,
    written: list[tuple[User, str, str]],
    groups: dict[str, list[str]] | None = None,
    votes: list[tuple[User, str]] | None = None,
    actions: list[dict[str, Any]] | None = None,
    finish: bool = True,
    facts: bool = False,
    **setup: Any,
) -> Review:
    """A review from set-up to summary. `written`: (author, "plus"/"delta", text) in writing
        order; `groups`: title → texts of its items; `votes`: (voter, a delta's text or a group's
        title); `actions`: action_create's keyword arguments; `facts`: seed facts from the data
    first. Every author and voter takes part."""
    participants = list(dict.fromkeys(author for author, _, _ in written))
    participants += [voter for voter, _ in votes or [] if voter not in participants]
    review = services.review_create(
        actor=facilitator, title=title, participants=participants, **setup
    )

    def advance() -> None:
        services.review_advance(actor=facilitator, review=review, seen=review.phase)

    if facts:
        services.review_seed_facts(actor=facilitator, review=review)
    advance()
    items = {
        text: services.item_write(actor=author, review=review, kind=kind, text=text)
        for author, kind, text in written
    }
    for _ in range(2):  # plusses, then deltas, round the room
        advance()
        revealed = review.items.filter(revealed_at__isnull=False).exclude(kind=Item.Kind.FACT)
        while services.review_reveal_next(
            actor=facilitator, review=review, seen_revealed=revealed.count()
        ):
            pass
    advance()
    made = {}
    for group_title, texts in (groups or {}).items():
        members = [Item.objects.get(pk=items[text].pk) for text in texts]
        made[group_title] = services.group_items(
            actor=facilitator, review=review, items=members, title=group_title
        )
    for voter, target in votes or []:
        if target in made:
            services.vote_cast(actor=voter, review=review, group=made[target])
        else:
            item = Item.objects.get(pk=items[target].pk)  # as revealed
            services.vote_cast(actor=voter, review=review, item=item)
    if actions is not None or finish:
        advance()
    for action in actions or []:
        services.action_create(actor=facilitator, review=review, **action)
    if finish:
        advance()
    return review


def seed_reviews(*, now: Any = None) -> int:
    """The two demo reviews of the whole sales process. Skipped once they exist or when the
    demo people are missing. Returns how many reviews it added."""
    if Review.objects.filter(title__in=[FINISHED_TITLE, NEXT_TITLE]).exists():
        return 0
    people = {user.username: user for user in User.objects.filter(is_active=True)}
    if not {"sam", "maria", "ana", "ben", "chloe"} <= set(people):
        return 0
    sam, maria, ana, ben, chloe = (people[name] for name in ("sam", "maria", "ana", "ben", "chloe"))
    now = now or timezone.now()
    today = timezone.localdate(now)
    stage = Stage.objects.filter(pipeline__is_default=True, name="Evaluation").first()
    rule = PatienceRule.objects.filter(kind=PatienceRule.Kind.DRAGGING_EVALUATION).first()
    question = FacilitativeQuestion.objects.filter(active=True).order_by("pk").first()
    finished = run_review(
        facilitator=sam,
        title=FINISHED_TITLE,
        written=[
            (ana, "plus", "Asking for their why in the first call kept the deals honest"),
            (ben, "plus", "Holding follow-ups back gave buyers room to come to us"),
            (chloe, "plus", "Lost-deal reviews with the prospect taught us more than our guesses"),
            (maria, "plus", "Pipeline reviews started from the buyer's next step"),
            (ana, "delta", "We shared the SOE only after the demo"),
            (ben, "delta", "Skipped the SOE when the buyer was in a hurry"),
            (chloe, "delta", "Lost reasons say “price” without saying why"),
            (maria, "delta", "Proposals waited too long for an answer before anyone asked"),
            (ben, "delta", "Pilots grew without anyone agreeing the scope"),
        ],
        groups={
            "Share the SOE earlier": [
                "We shared the SOE only after the demo",
                "Skipped the SOE when the buyer was in a hurry",
            ]
        },
        votes=[
            (ana, "Share the SOE earlier"),
            (ana, "Share the SOE earlier"),
            (ben, "Share the SOE earlier"),
            (chloe, "Lost reasons say “price” without saying why"),
            (maria, "Proposals waited too long for an answer before anyone asked"),
            (chloe, "Share the SOE earlier"),
        ],
        actions=[
            {
                "text": "Offer a draft SOE in every first qualified call",
                "owner": ana,
                "due_on": today,
            },
            {
                "text": "Ask “what happens if you do nothing?” before any proposal",
                "owner": chloe,
                "due_on": today + timedelta(days=10),
                "question": question,
            },
            {
                "text": "Hold proposals for a week, then ask the buyer what changed",
                "owner": maria,
                "due_on": today,
                **({"patience_rule": rule} if rule else {"stage": stage}),
            },
            {
                "text": "Write the buyer's own words in every lost reason",
                "owner": ana,
                "due_on": today + timedelta(days=3),
            },
        ],
        scope=Review.Scope.PROCESS,
        anonymous=True,
        votes_each=3,
        facts=True,
    )
    # Set eight weeks ago: one action done since, one overdue, two still ahead.
    first, _, late, _ = finished.actions.order_by("pk")
    Action.objects.filter(pk=first.pk).update(due_on=today - timedelta(days=20))
    Action.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=5))
    services.action_done(actor=ana, action=first)
    # It happened eight weeks ago: the next review follows it.
    Review.objects.filter(pk=finished.pk).update(
        created_at=now - timedelta(weeks=8), updated_at=now - timedelta(weeks=7)
    )
    upcoming = services.review_create(
        actor=sam,
        title=NEXT_TITLE,
        participants=[maria, ana, ben, chloe],
        scope=Review.Scope.PROCESS,
        anonymous=True,
        votes_each=3,
    )
    services.review_seed_facts(actor=sam, review=upcoming)
    return 2


def seed() -> list[str]:
    """seed_demo's entry point (after pipeline's deals): adds the reviews if missing and
    says so."""
    if not seed_reviews():
        return []
    return [
        "Added a finished plusses/deltas review with its actions, and the next one, "
        "ready to start (sign in as sam to facilitate)."
    ]
