"""What each person may see of a review; which reviews they see is pipeline.reviews.access."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from pipeline.reviews.access import reviews_visible_to
from pipeline.reviews.models import Action, Group, Item, Review
from salesflow.core.models import User

# What an action is shown with: its owner and the part of the process it changes.
ACTION_PARTS = (
    "owner",
    "stage__pipeline",
    "patience_rule",
    "question",
    "soe_template",
    "source_item",
    "source_group",
)


def action_part(action: Action, user: User | None = None) -> tuple[str, str | None]:
    """The part of the process an action changes, in words, and where this user opens it:
    a stage on its pipeline's board, an SOE template on the templates page, a patience rule
    or a question in the admin for those who may edit them (None: no page for this user)."""
    if action.stage_id:
        url = reverse("pipeline:board_pipeline", args=[action.stage.pipeline_id])
        return f"stage {action.stage.name} ({action.stage.pipeline.name})", url
    if action.soe_template_id:
        url = reverse("pipeline:soe_templates") + f"?segment={action.soe_template.segment_id}"
        return f"SOE template {action.soe_template.name}", url
    for part, label in (("patience_rule", "patience rule"), ("question", "question")):
        if getattr(action, f"{part}_id"):
            thing = getattr(action, part)
            url = None
            meta = thing._meta
            if (
                user
                and user.is_staff
                and user.has_perm(f"{meta.app_label}.change_{meta.model_name}")
            ):
                url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[thing.pk])
            return f"{label} “{thing}”", url
    return "", None


def action_source(action: Action) -> str:
    """The group or delta an action was made from, in words."""
    if action.source_group_id:
        return action.source_group.title
    return action.source_item.text if action.source_item_id else ""


def with_parts(actions: list[Action], user: User | None) -> list[Action]:
    """Each action with `part` (words), `part_url` and `source` set, for a page."""
    for action in actions:
        action.part, action.part_url = action_part(action, user)
        action.source = action_source(action)
    return actions


def board_items(*, review: Review, user: User) -> QuerySet[Item]:
    """Context cards from the data, what is on the shared board, and the user's own items.
    While people write, nobody — the facilitator included — sees anyone else's."""
    # Writing reopened keeps what was already revealed on the board.
    visible = Q(kind=Item.Kind.FACT) | Q(author=user) | Q(revealed_at__isnull=False)
    return review.items.filter(visible).select_related("group").order_by("reveal_order", "pk")


def same_scope(review: Review, user: User) -> QuerySet[Review]:
    """The reviews this user may see that looked at the same thing before this one: the
    whole process, the same pipeline, an earlier quarter, an earlier deal. Their actions
    and delta groups are what this one follows up."""
    earlier = reviews_visible_to(user).filter(scope=review.scope, created_at__lt=review.created_at)
    if review.scope == Review.Scope.PIPELINE:
        earlier = earlier.filter(pipeline_id=review.pipeline_id)
    return earlier.exclude(pk=review.pk).order_by("-created_at", "-pk")


def previous_review(review: Review, user: User) -> tuple[Review | None, list[Action]]:
    """The last review of the same scope this user may see, and its actions, done or not,
    soonest due first."""
    previous = same_scope(review, user).select_related("facilitator").first()
    if previous is None:
        return None, []
    actions = previous.actions.select_related(*ACTION_PARTS).order_by("due_on", "pk")
    return previous, list(actions)


def recurring(review: Review, groups: list[Group], user: User) -> dict[int, list[str]]:
    """For each group of deltas here (`members` set) whose title an earlier review of the
    same scope, that this user may see, also used for a group of deltas: the titles of
    those earlier reviews, newest first."""
    groups = [g for g in groups if g.members and g.members[0].kind == Item.Kind.DELTA]
    keys = {group.key for group in groups if group.key}
    if not keys:
        return {}
    seen: dict[str, list[str]] = {}
    for key, title in (
        Group.objects.filter(
            key__in=keys,
            review__in=same_scope(review, user).values("pk"),
            items__kind=Item.Kind.DELTA,
        )
        .order_by("-review__created_at", "-review_id")
        .values_list("key", "review__title")
    ):
        if title not in seen.setdefault(key, []):
            seen[key].append(title)
    return {group.pk: seen[group.key] for group in groups if group.key in seen}


def earlier_group_titles(review: Review, user: User, limit: int = 50) -> list[str]:
    """Titles of earlier delta groups of the same scope, offered when naming a group, so a
    recurring theme keeps its name and is recognised."""
    return list(
        Group.objects.filter(
            review__in=same_scope(review, user).values("pk"), items__kind=Item.Kind.DELTA
        )
        .order_by("title")
        .values_list("title", flat=True)
        .distinct()[:limit]
    )


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


@dataclass
class Summary:
    """What a finished review says, for its printable page and its Markdown export."""

    review: Review
    facts: list[Item]
    plusses: list[Item]
    deltas: list[Item]
    groups: list[Group]
    actions: list[Action]
    previous: Review | None
    previous_actions: list[Action]


def summary(*, review: Review, user: User) -> Summary:
    """Everything on the board with its votes, the groups with the earlier reviews they
    recur in, the actions, and the last review's actions, as `user` may see them.
    `shown_author` is set only when the review is not anonymous."""
    items = list(
        review.items.filter(revealed_at__isnull=False)
        .select_related("author")
        .annotate(votes=Count("vote"))
        .order_by("reveal_order", "pk")
    )
    for item in items:
        item.shown_author = item_author(review=review, item=item)
    groups = list(review.groups.annotate(votes=Count("vote")).order_by("pk"))
    for group in groups:
        group.members = [item for item in items if item.group_id == group.pk]
    again = recurring(review, groups, user)
    for group in groups:
        group.recurs_in = again.get(group.pk, [])
    previous, previous_actions = previous_review(review, user)
    return Summary(
        review=review,
        facts=[item for item in items if item.kind == Item.Kind.FACT],
        plusses=[item for item in items if item.kind == Item.Kind.PLUS],
        deltas=[item for item in items if item.kind == Item.Kind.DELTA],
        groups=sorted(groups, key=lambda group: -group.votes),
        actions=with_parts(list(review.actions.select_related(*ACTION_PARTS)), user),
        previous=previous,
        previous_actions=with_parts(previous_actions, user),
    )


def scope_label(review: Review) -> str:
    """What the review looks at, in words: the scope and which pipeline, quarter or deal."""
    label = str(review.get_scope_display())
    if review.pipeline_id:
        return f"{label}: {review.pipeline.name}"
    if review.quarter_start:
        return f"{label}: the quarter from {review.quarter_start:%-d %b %Y}"
    if review.opportunity_id:
        return f"{label}: {review.opportunity.name}"
    return label


def summary_markdown(*, review: Review, user: User) -> str:
    """The review as Markdown: context, plusses, deltas with their votes, groups, actions.
    Names an item's author only when the review is not anonymous."""
    data = summary(review=review, user=user)

    def line(item: Item) -> str:
        author = item.shown_author
        name = f" — {_md(author.get_full_name() or author.username)}" if author else ""
        votes = f" ({_votes(item.votes)})" if item.votes else ""
        return f"- {_md(item.text)}{votes}{name}"

    out = [
        f"# {_md(review.title)}",
        "",
        f"{_md(scope_label(review))} · {review.created_at:%d %b %Y}",
    ]
    for chosen, heading in (
        (data.facts, "From the data"),
        (data.plusses, "Plusses"),
        (data.deltas, "Deltas"),
    ):
        if chosen:
            out += ["", f"## {heading}", "", *(line(item) for item in chosen)]
    if data.groups:
        out += ["", "## Groups", ""]
        for group in data.groups:
            mark = f" — recurring, also in {_md('; '.join(group.recurs_in))}"
            texts = "; ".join(_md(item.text) for item in group.members)
            out.append(
                f"- **{_md(group.title)}** ({_votes(group.votes)})"
                f"{mark if group.recurs_in else ''}: {texts}"
            )
    if data.actions:
        out += ["", "## Actions", "", *(_action_line(action) for action in data.actions)]
    if data.previous is not None and data.previous_actions:
        out += ["", f"## Since the last review: {_md(data.previous.title)}", ""]
        out += [_action_line(action) for action in data.previous_actions]
    return "\n".join(out) + "\n"


def _action_line(action: Action) -> str:
    part, _ = action_part(action)
    about = f" — about {_md(part)}" if part else ""
    if source := action_source(action):
        about += f" — from “{_md(source)}”"
    done = " (done)" if action.done_at else ""
    return (
        f"- [{'x' if action.done_at else ' '}] {_md(action.text)} — "
        f"{_md(action.owner.get_full_name() or action.owner.username)}, "
        f"due {action.due_on:%d %b %Y}{about}{done}"
    )


def _votes(count: int) -> str:
    return f"{count} vote" if count == 1 else f"{count} votes"


def _md(text: str) -> str:
    """Text as Markdown shows it, not as Markdown reads it."""
    for mark in ("\\", "*", "_", "`", "[", "]", "#", "<", ">"):
        text = text.replace(mark, "\\" + mark)
    return " ".join(text.split())


def open_actions_for(*, user: User, limit: int = 20) -> list[Action]:
    """The user's review actions not yet done, soonest due first, for their home page."""
    actions = (
        Action.objects.filter(owner=user, done_at=None)
        .select_related("review", *ACTION_PARTS)
        .order_by("due_on", "pk")[:limit]
    )
    return with_parts(list(actions), user)
