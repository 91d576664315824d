"""A review at "group and vote", its board as the signed-in user reads it, and a change
posted to it by its URL name."""

from __future__ import annotations

from django.urls import reverse

from pipeline.reviews.demo import run_review


def grouping(ops, participants, title="Q4 look back", **setup):
    """A review at "group and vote" with the deltas "SOE late again" (first participant) and
    "Nobody agreed the pilot scope", "Proposal silence" (second), and a plus."""
    first, second = participants
    return run_review(
        facilitator=ops,
        title=title,
        written=[
            (first, "plus", "Patience paid off"),
            (first, "delta", "SOE late again"),
            (second, "delta", "Nobody agreed the pilot scope"),
            (second, "delta", "Proposal silence"),
        ],
        finish=False,
        **setup,
    )


def board(client, review):
    return client.get(reverse("reviews:detail", args=[review.pk])).content.decode()


def act(client, review, verb, **data):
    return client.post(reverse(f"reviews:{verb}", args=[review.pk]), data)
