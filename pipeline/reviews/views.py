"""Review pages: the list, the set-up form, the live board every participant follows, and the
summary. Thin: each change has its own URL and view, calls one service and answers with the
board as it now is."""

from __future__ import annotations

import hashlib
import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from pipeline.reviews import access, selectors, services
from pipeline.reviews.forms import ActionForm, GroupForm, ItemForm, ReviewForm
from pipeline.reviews.models import Item, Review, Vote
from salesflow.core.fields import whole_number
from salesflow.core.web import action_view


@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    reviews = (
        access.reviews_visible_to(request.user)
        .select_related("facilitator")
        .annotate(people=Count("participants", distinct=True))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(reviews, 25).get_page(request.GET.get("page"))
    context = {"page": page, "can_facilitate": access.can_facilitate(request.user)}
    return render(request, "reviews/list.html", context)


@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest) -> HttpResponse:
    access.check_facilitator(request.user)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.review_create(
                actor=request.user,
                participants=list(data.pop("participants")),
                **data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("reviews:detail", pk=review.pk)
    status = 422 if form.is_bound else 200
    return render(request, "reviews/form.html", {"form": form}, status=status)


def _board_context(request: HttpRequest, review: Review) -> dict[str, object]:
    user = request.user
    items = list(selectors.board_items(review=review, user=user).select_related("author"))
    # Every vote of the review in one query: per delta, per group, and the user's own.
    tally = list(
        Vote.objects.filter(review=review)
        .order_by()
        .values_list("item_id", "group_id", "voter_id")
        .annotate(Count("pk"))
    )
    votes: dict[int, int] = {}
    group_votes: dict[int, int] = {}
    for item_id, group_id, _, count in tally:
        if item_id:
            votes[item_id] = votes.get(item_id, 0) + count
        else:
            group_votes[group_id] = group_votes.get(group_id, 0) + count
    mine = sum(count for _, _, voter, count in tally if voter == user.pk)
    facilitating = access.can_facilitate(user)
    # Anyone else sees only reviews they take part in; sales ops may look in on any.
    participating = not facilitating or access.takes_part(user, review)
    for item in items:
        item.votes = votes.get(item.pk, 0)
        item.shown_author = selectors.item_author(review=review, item=item)
        item.mine = item.author_id == user.pk
    groups = list(review.groups.all())
    for group in groups:
        group.members = [item for item in items if item.group_id == group.pk]
        group.votes = group_votes.get(group.pk, 0)
    recurring = selectors.recurring(review, groups, user)
    for group in groups:
        group.recurs_in = recurring.get(group.pk, [])
    revealed = sum(1 for item in items if item.revealed_at and item.kind != Item.Kind.FACT)
    deltas = [i for i in items if i.kind == Item.Kind.DELTA and not i.group_id]
    delta_groups = [g for g in groups if g.members and g.members[0].kind == Item.Kind.DELTA]
    if review.phase in {Review.Phase.ACTIONS, Review.Phase.SUMMARY}:
        # Once the votes are in, the top deltas lead: they are the ones to act on.
        deltas.sort(key=lambda item: -item.votes)
        delta_groups.sort(key=lambda group: -group.votes)
    return {
        "review": review,
        "facts": [item for item in items if item.kind == Item.Kind.FACT],
        "plusses": [i for i in items if i.kind == Item.Kind.PLUS and not i.group_id],
        "deltas": deltas,
        "plus_groups": [g for g in groups if g.members and g.members[0].kind == Item.Kind.PLUS],
        "delta_groups": delta_groups,
        "revealed": revealed,
        "facilitating": facilitating,
        "participating": participating,
        "drag_here": facilitating and review.phase == Review.Phase.GROUPING,
        "written": selectors.items_written(review=review) if facilitating else [],
        "votes_left": review.votes_each - mine,
        "actions": selectors.with_parts(
            list(review.actions.select_related(*selectors.ACTION_PARTS)), user
        ),
        "Phase": Review.Phase,
    }


def _page_context(request: HttpRequest, review: Review) -> dict[str, object]:
    """What the page shows around the board; the board's poll needs none of it."""
    user = request.user
    facilitating = access.can_facilitate(user)
    previous, previous_actions = selectors.previous_review(review, user)
    return {
        "previous": previous,
        "previous_actions": selectors.with_parts(previous_actions, user),
        "previous_done": sum(1 for action in previous_actions if action.done_at),
        "today": timezone.localdate(),
        "earlier_titles": (
            selectors.earlier_group_titles(review, user)
            if facilitating and review.phase == Review.Phase.GROUPING
            else []
        ),
        "item_form": ItemForm(),
        "group_form": GroupForm(review=review) if facilitating else None,
        "action_form": ActionForm(review=review) if facilitating else None,
    }


# A form's CSRF token is masked afresh on every render: left out of the board's version.
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = access.get_review_for_user(request.user, pk)
    polled = request.htmx and not request.htmx.history_restore_request
    # The poll: when the phase has moved on, the whole page must change, not the board.
    if polled and request.GET.get("phase") not in {None, review.phase}:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context = _board_context(request, review)
    content = render_to_string("reviews/detail.html#board_content", context, request=request)
    version = hashlib.sha256(CSRF_VALUE.sub("", content).encode()).hexdigest()[:16]
    if polled and request.GET.get("v") == version:
        # Nothing changed: no swap, so whatever has the keyboard's focus keeps it.
        return HttpResponse(status=204)
    # Rendered just above by the template engine, so already escaped.
    context |= {"board_content": mark_safe(content), "board_version": version}
    if polled:
        return render(request, "reviews/detail.html#board", context)
    return render(request, "reviews/detail.html", context | _page_context(request, review))


def _form_problem(form: forms.Form, lead: str) -> ValidationError:
    """A form's errors as one sentence for the board's message."""
    problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
    return ValidationError(f"{lead} ({problems}).")


# Every change to a review is a view of its own, at reviews/<pk>/<change>/ (a form's button
# posts to its change); they share loading the review for the user and going back to the
# board, where a refusal is said.
on_review = action_view(
    load=lambda request, pk: access.get_review_for_user(request.user, pk),
    back=lambda review: redirect("reviews:detail", pk=review.pk),
)


@on_review
def review_advance(request: HttpRequest, review: Review) -> None:
    services.review_advance(actor=request.user, review=review, seen=request.POST.get("seen", ""))


@on_review
def review_reopen(request: HttpRequest, review: Review) -> None:
    services.review_reopen(actor=request.user, review=review, seen=request.POST.get("seen", ""))


@on_review
def review_seed_facts(request: HttpRequest, review: Review) -> None:
    services.review_seed_facts(actor=request.user, review=review)


@on_review
def review_reveal_next(request: HttpRequest, review: Review) -> None:
    seen = whole_number(request.POST.get("seen_revealed"), most=999_999)
    if seen is None:
        raise ValidationError("Reload the board and try again.")
    if not services.review_reveal_next(actor=request.user, review=review, seen_revealed=seen):
        messages.info(request, "Everything of this kind is on the board: move on.")


@on_review
def item_write(request: HttpRequest, review: Review) -> None:
    form = ItemForm(request.POST)
    if not form.is_valid():
        raise ValidationError("Write a plus or a delta, up to 500 characters.")
    services.item_write(actor=request.user, review=review, **form.cleaned_data)


@on_review
def item_edit(request: HttpRequest, review: Review) -> None:
    item = _one(access.items_editable_by(request.user, review), request.POST.get("item"))
    services.item_edit(actor=request.user, item=item, text=request.POST.get("text", ""))


@on_review
def item_delete(request: HttpRequest, review: Review) -> None:
    item = _one(access.items_editable_by(request.user, review), request.POST.get("item"))
    services.item_delete(actor=request.user, item=item)


@on_review
def group_items(request: HttpRequest, review: Review) -> None:
    form = GroupForm(request.POST, review=review)
    if not form.is_valid():
        raise _form_problem(form, "Tick two items or more on the board to group them")
    services.group_items(
        actor=request.user,
        review=review,
        items=list(form.cleaned_data["items"]),
        title=form.cleaned_data["title"],
    )


@on_review
def item_drop(request: HttpRequest, review: Review) -> None:
    """Dragging one item onto another makes a group; onto a group, it joins it."""
    data = request.POST
    item = _one(review.items.all(), data.get("item"))
    if data.get("onto_group"):
        group = _one(review.groups.all(), data.get("onto_group"))
        services.group_add(actor=request.user, review=review, item=item, group=group)
    else:
        onto = _one(review.items.all(), data.get("onto_item"))
        services.group_items(actor=request.user, review=review, items=[onto, item])


@on_review
def group_rename(request: HttpRequest, review: Review) -> None:
    group = _one(review.groups.all(), request.POST.get("group"))
    title = request.POST.get("title", "")
    services.group_rename(actor=request.user, review=review, group=group, title=title)


@on_review
def item_ungroup(request: HttpRequest, review: Review) -> None:
    item = _one(review.items.all(), request.POST.get("item"))
    services.item_ungroup(actor=request.user, review=review, item=item)


@on_review
def vote_cast(request: HttpRequest, review: Review) -> None:
    data = request.POST
    target = {"item": None, "group": None}
    if data.get("group"):
        target["group"] = _one(review.groups.all(), data.get("group"))
    else:
        target["item"] = _one(review.items.all(), data.get("item"))
    services.vote_cast(actor=request.user, review=review, **target)


@on_review
def vote_withdraw(request: HttpRequest, review: Review) -> None:
    data = request.POST
    on = {"group_id": _pk(data.get("group"))} if data.get("group") else {}
    on = on or {"item_id": _pk(data.get("item"))}
    vote = Vote.objects.filter(review=review, voter=request.user, **on).order_by("-pk").first()
    if vote is None:
        raise ValidationError("You have no vote there.")
    services.vote_withdraw(actor=request.user, vote=vote)


@on_review
def action_create(request: HttpRequest, review: Review) -> None:
    form = ActionForm(request.POST, review=review)
    if not form.is_valid():
        raise _form_problem(form, "Say what will be done, by whom and by when")
    fields = {key: value for key, value in form.cleaned_data.items() if value is not None}
    services.action_create(actor=request.user, review=review, **fields)


@on_review
def action_done(request: HttpRequest, review: Review) -> None:
    action = _one(review.actions.all(), request.POST.get("action"))
    services.action_done(actor=request.user, action=action)


def _pk(value: object) -> int:
    number = whole_number(value)
    if number is None:
        raise ValidationError("That is not on this review's board.")
    return number


def _one(queryset: QuerySet, pk: object) -> object:
    """The row the form names, from what the review offers, or a clear refusal."""
    found = queryset.filter(pk=_pk(pk)).first()
    if found is None:
        raise ValidationError("That is not on this review's board.")
    return found


@require_GET
def review_summary(request: HttpRequest, pk: int) -> HttpResponse:
    review = access.get_review_for_user(request.user, pk)
    if request.GET.get("format") == "md":
        markdown = selectors.summary_markdown(review=review, user=request.user)
        response = HttpResponse(markdown, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="review-{review.pk}.md"'
        return response
    data = selectors.summary(review=review, user=request.user)
    context = {
        "review": review,
        "data": data,
        "columns": [("Plusses", data.plusses, "plusses"), ("Deltas", data.deltas, "deltas")],
        "scope_label": selectors.scope_label(review),
        "today": timezone.localdate(),
    }
    return render(request, "reviews/summary.html", context)
