"""What reviews hold about a person (prospects.privacy): a plus, a delta, a group or an
action that names a contact ("Helen Shaw never got the SOE letter"). Registered in
prospects.privacy.holders.HOLDERS by the reviews app's ready().

Exports give an item's words only, never its author: an anonymous review stays anonymous.
"""

from __future__ import annotations

from typing import Any

from pipeline.reviews.models import Action, Group, Item, Review, title_key
from prospects.privacy.holders import Person, values_of

TEXTS: list[tuple[str, type, tuple[str, ...]]] = [
    ("reviews", Review, ("title",)),
    ("review_items", Item, ("text",)),
    ("review_actions", Action, ("text",)),
]


def export(person: Person) -> dict[str, Any]:
    return {
        "reviews": [
            values_of(row, ("title", "created_at"))
            for row in Review.objects.filter(person.named_in("title"))
        ],
        "review_items": [
            {**values_of(row, ("kind", "text", "created_at")), "review_id": row.review_id}
            for row in Item.objects.filter(person.named_in("text"))
        ],
        "review_groups": [
            {**values_of(row, ("title",)), "review_id": row.review_id}
            for row in Group.objects.filter(person.named_in("title", "key"))
        ],
        "review_actions": [
            {**values_of(row, ("text", "due_on")), "review_id": row.review_id}
            for row in Action.objects.filter(person.named_in("text"))
        ],
    }


def erase(person: Person) -> dict[str, int]:
    counts = {kind: person.scrub_rows(model.objects.all(), fields) for kind, model, fields in TEXTS}
    # A group's key is its title as compared across reviews: worked out again from the
    # scrubbed title, not scrubbed on its own (the key folds case and punctuation away).
    groups = list(
        Group.objects.filter(person.named_in("title", "key")).select_for_update(of=("self",))
    )
    for group in groups:
        group.title = person.scrub(group.title)[:200]
        group.key = title_key(group.title)
    Group.objects.bulk_update(groups, ["title", "key"])
    counts["review_groups"] = len(groups)
    return counts
