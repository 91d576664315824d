"""The reviews: few, so played through the review services rather than written as rows,
then moved back to when they were held."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from pipeline.benchmark.scale.context import Context
from pipeline.benchmark.scale.sizes import PREFIX, Size
from pipeline.deals.models import Opportunity
from pipeline.reviews import services
from pipeline.reviews.demo import run_review
from pipeline.reviews.models import Action, Group, Item, PhaseChange, Review
from prospects.models import FacilitativeQuestion

PLUSSES = [
    "Asking for their why in the first call kept the deals honest",
    "Holding follow-ups back gave buyers room to come to us",
    "Lost-deal reviews with the prospect taught us more than our guesses",
    "Pipeline reviews started from the buyer's next step",
    "Sharing the SOE as a letter got it forwarded inside the account",
    "Product specialists joined only qualified deals",
]
DELTAS = [
    "We shared the SOE only after the demo",
    "Skipped the SOE when the buyer was in a hurry",
    "Lost reasons say price without saying why",
    "Proposals waited too long for an answer before anyone asked",
    "Pilots grew without anyone agreeing the scope",
    "Evaluations dragged while we chased instead of asking",
    "The why was recorded once and never revisited",
]
ACTIONS = [
    "Offer a draft SOE in every first qualified call",
    "Ask what happens if they do nothing before any proposal",
    "Hold proposals for a week, then ask the buyer what changed",
    "Write the buyer's own words in every lost reason",
    "Agree pilot scope in writing before it starts",
]


def seed_reviews(ctx: Context, size: Size, seed: int, now: datetime) -> None:
    """Finished plusses/deltas reviews, every few weeks over the data set's past, played
    through the services (phases, reveals round the room, groups, votes within the
    allowance, actions) and then moved back to when they happened."""
    rng = random.Random(f"{seed}:reviews")
    scopes = list(Review.Scope)
    closed = list(
        Opportunity.objects.filter(name__startswith=PREFIX, closed_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    stage = ctx.open_stages[min(3, len(ctx.open_stages) - 1)]
    rule = next(iter(ctx.rules.values()), None)
    question = FacilitativeQuestion.objects.filter(active=True).order_by("pk").first()
    every = max(7, size.history_days // max(size.reviews, 1))
    for r in range(size.reviews):
        held = now - timedelta(days=every * (size.reviews - r), hours=rng.randint(0, 48))
        team = r % size.teams
        reps = [ctx.reps[i] for i in ctx.teammates[team]][:5]
        people = [ctx.managers[team], *reps]
        # Round the table: everyone writes something, so everyone takes part.
        deltas = rng.sample(DELTAS, rng.randint(3, 5))
        texts = [("plus", text) for text in rng.sample(PLUSSES, rng.randint(3, 4))]
        texts += [("delta", text) for text in deltas]
        written = [(people[n % len(people)], kind, text) for n, (kind, text) in enumerate(texts)]
        title = f"Group: {deltas[0]}"[:60]
        groups = {title: deltas[:2]}
        targets = [title, *deltas[2:]]
        votes = []
        allowance = 3
        for person in people:
            votes += [(person, rng.choice(targets)) for _ in range(rng.randint(0, allowance))]
        due = timezone.localdate(held)
        today = timezone.localdate(now)  # actions are due ahead when made; moved back below
        actions = [
            {
                "text": text,
                "owner": rng.choice(people),
                "due_on": today + timedelta(days=rng.randint(7, 45)),
                **({"stage": stage} if n == 0 else {}),
                **({"patience_rule": rule} if n == 1 and rule else {}),
                **({"question": question} if n == 2 and question else {}),
            }
            for n, text in enumerate(rng.sample(ACTIONS, rng.randint(1, 3)))
        ]
        scope = scopes[r % len(scopes)]
        setup: dict[str, Any] = {"scope": scope}
        if scope == Review.Scope.PIPELINE:
            setup["pipeline"] = ctx.pipeline
        elif scope == Review.Scope.QUARTER:
            month = (due.month - 1) // 3 * 3 + 1
            setup["quarter_start"] = date(due.year, month, 1)
        elif scope == Review.Scope.DEAL:
            if closed:
                setup["opportunity"] = Opportunity.objects.get(pk=closed[r % len(closed)])
            else:
                setup["scope"] = Review.Scope.PROCESS
        review = run_review(
            facilitator=ctx.sales_ops,
            title=f"{PREFIX}review {r + 1:02d}: {scope.label}",
            written=written,
            groups=groups,
            votes=votes,
            actions=actions,
            anonymous=rng.random() < 0.8,
            votes_each=allowance,
            **setup,
        )
        for action in review.actions.order_by("pk"):
            if rng.random() < 0.5:
                services.action_done(actor=ctx.sales_ops, action=action)
        _backdate_review(review, held)


def _backdate_review(review: Review, held: datetime) -> None:
    """Move every time of a review made just now back to when it was held, keeping their
    order and spacing."""
    shift = held - review.created_at
    with connection.cursor() as cursor:
        for model, columns in [
            (Review, ["created_at", "updated_at"]),
            (Item, ["created_at", "revealed_at"]),
            (Group, ["created_at"]),
            (Action, ["created_at", "done_at"]),
            (PhaseChange, ["at"]),
        ]:
            sets = ", ".join(f"{column} = {column} + %s" for column in columns)
            key = "id" if model is Review else "review_id"
            cursor.execute(
                f"UPDATE {model._meta.db_table} SET {sets} WHERE {key} = %s",
                [shift] * len(columns) + [review.pk],
            )
        # Due dates move with the day the review was held.
        cursor.execute(
            f"UPDATE {Action._meta.db_table} SET due_on = due_on + %s WHERE review_id = %s",
            [shift.days, review.pk],
        )
