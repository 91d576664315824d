"""What each person may see of a review."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from pipeline.reviews.models import Action, Item, Review
from pipeline.reviews.services import can_facilitate
from salesflow.core.models import User


def reviews_for(user: User) -> QuerySet[Review]:
    """Sales ops and admins see every review; anyone else the ones they are invited to."""
    if can_facilitate(user):
        return Review.objects.all()
    return Review.objects.filter(participants__user=user)


def get_review_for_user(user: User, pk: object) -> Review:
    try:
        return reviews_for(user).select_related("facilitator").get(pk=pk)
    except (Review.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such review.") from None


def board_items(*, review: Review, user: User) -> QuerySet[Item]:
    """Context cards from the data, what is on the shared board, and the user's own items.
    While people write, nobody — the facilitator included — sees anyone else's."""
    visible = Q(kind=Item.Kind.FACT) | Q(author=user)
    if review.phase not in {Review.Phase.SETUP, Review.Phase.WRITING}:
        visible |= Q(revealed_at__isnull=False)
    return review.items.filter(visible).select_related("group").order_by("reveal_order", "pk")


def item_author(*, review: Review, item: Item) -> User | None:
    """Who wrote an item, for display: nobody, when the review is anonymous."""
    return None if review.anonymous else item.author


def items_written(*, review: Review) -> list[tuple[User, int]]:
    """How many items each participant has written: all the facilitator sees while people
    write."""
    counts = dict(
        review.items.exclude(kind=Item.Kind.FACT)
        .order_by()
        .values_list("author")
        .annotate(Count("pk"))
    )
    return [
        (participant.user, counts.get(participant.user_id, 0))
        for participant in review.participants.select_related("user")
    ]


def summary_markdown(*, review: Review) -> str:
    """The review as Markdown: context, plusses, deltas with their votes, groups, actions.
    Names an item's author only when the review is not anonymous."""
    items = list(
        review.items.filter(revealed_at__isnull=False)
        .select_related("author", "group")
        .annotate(votes=Count("vote"))
        .order_by("reveal_order", "pk")
    )
    groups = list(review.groups.annotate(votes=Count("vote")).order_by("-votes", "pk"))

    def line(item: Item) -> str:
        author = _author_name(review, item)
        votes = f" ({_votes(item.votes)})" if item.votes else ""
        return f"- {_md(item.text)}{votes}{f' — {_md(author)}' if author else ''}"

    out = [
        f"# {_md(review.title)}",
        "",
        f"{review.get_scope_display()} · {review.created_at:%d %b %Y}",
    ]
    for kind, heading in (
        (Item.Kind.FACT, "From the data"),
        (Item.Kind.PLUS, "Plusses"),
        (Item.Kind.DELTA, "Deltas"),
    ):
        chosen = [item for item in items if item.kind == kind]
        if chosen:
            out += ["", f"## {heading}", "", *(line(item) for item in chosen)]
    if groups:
        out += ["", "## Groups", ""]
        for group in groups:
            members = "; ".join(_md(item.text) for item in items if item.group_id == group.pk)
            out.append(f"- **{_md(group.title)}** ({_votes(group.votes)}): {members}")
    actions = list(
        review.actions.select_related("owner", "stage", "patience_rule", "question", "soe_template")
    )
    if actions:
        out += ["", "## Actions", ""]
        for action in actions:
            part = action.stage or action.patience_rule or action.question or action.soe_template
            about = f" — about {_md(str(part))}" if part else ""
            done = " (done)" if action.done_at else ""
            out.append(
                f"- [{'x' if action.done_at else ' '}] {_md(action.text)} — "
                f"{_md(action.owner.get_full_name() or action.owner.username)}, "
                f"due {action.due_on:%d %b %Y}{about}{done}"
            )
    return "\n".join(out) + "\n"


def _author_name(review: Review, item: Item) -> str:
    author = item_author(review=review, item=item)
    return (author.get_full_name() or author.username) if author else ""


def _votes(count: int) -> str:
    return f"{count} vote" if count == 1 else f"{count} votes"


def _md(text: str) -> str:
    """Text as Markdown shows it, not as Markdown reads it."""
    for mark in ("\\", "*", "_", "`", "[", "]", "#", "<", ">"):
        text = text.replace(mark, "\\" + mark)
    return " ".join(text.split())


def open_actions_for(*, user: User, limit: int = 20) -> list[Action]:
    """The user's review actions not yet done, soonest due first, for their home page."""
    return list(
        Action.objects.filter(owner=user, done_at=None)
        .select_related("review")
        .order_by("due_on", "pk")[:limit]
    )
