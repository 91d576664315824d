"""Deals and the board. Views parse with forms and call services; access goes through
selectors.get_opportunity_for_user (404 outside the user's reach, 403 for read-only)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from pipeline import calendar, dashboard, selectors, services
from pipeline.forms import (
    BoardFilterForm,
    DashboardFilterForm,
    FollowUpDoneForm,
    FollowUpForm,
    FollowUpReviewForm,
    FollowUpReviseForm,
    MoveForm,
    OpportunityForm,
    ReasonForm,
    ReceptionForm,
    ReorderForm,
    SkipForm,
    SoeStepForm,
    SpecialistOverrideForm,
)
from pipeline.models import (
    CalendarFeed,
    Opportunity,
    Pipeline,
    Sequence,
    SoeStep,
    SoeTemplate,
    SoeTemplateStep,
    Stage,
    StageChange,
)
from prospects import selectors as prospect_selectors
from prospects.models import Segment
from salesflow.core.fields import whole_number
from salesflow.core.models import User
from salesflow.core.web import csv_safe, form_errors_to

MOVES_ON_DEAL_PAGE = 25
CONVERSATIONS_ON_DEAL_PAGE = 10


def _pick_pipeline(pipelines: list[Pipeline], pk: int | None) -> Pipeline:
    """The pipeline asked for, or the default one (listed first)."""
    found = next((p for p in pipelines if p.pk == pk), None) if pk is not None else None
    if found is None and (pk is not None or not pipelines):
        raise Http404("No such pipeline.")
    return found or pipelines[0]


def _board_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("offset", None)
    return query.urlencode()


@require_GET
def board(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    pipelines = list(selectors.pipelines())
    pipeline = _pick_pipeline(pipelines, pk)
    form = BoardFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else selectors.BoardFilters()
    columns = selectors.board(user=request.user, pipeline=pipeline, filters=filters)
    context = {
        "pipeline": pipeline,
        "pipelines": pipelines,
        "form": form,
        "columns": columns,
        "stages": [column.stage for column in columns],
        "query": _board_query(request),
    }
    template = "pipeline/board.html#board-columns" if request.htmx else "pipeline/board.html"
    return render(request, template, context)


@require_GET
def board_column(request: HttpRequest, pk: int) -> HttpResponse:
    """More cards of one column: an htmx fragment, or a plain page of that stage's deals."""
    try:
        stage = Stage.objects.select_related("pipeline").get(pk=pk, outcome=Stage.Outcome.OPEN)
    except Stage.DoesNotExist:
        raise Http404("No such stage.") from None
    form = BoardFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else selectors.BoardFilters()
    try:
        offset = max(0, min(int(request.GET.get("offset", 0)), 10**9))
    except ValueError:
        offset = 0
    cards, more = selectors.column_page(
        user=request.user, stage=stage, filters=filters, offset=offset
    )
    context = {
        "stage": stage,
        "pipeline": stage.pipeline,
        "stages": selectors.open_stages(pipeline=stage.pipeline),
        "cards": cards,
        "more": more,
        "next_offset": offset + len(cards),
        "previous_offset": max(0, offset - selectors.CARDS_PER_COLUMN) if offset else None,
        "query": _board_query(request),
    }
    if request.htmx:
        return render(request, "pipeline/board_column.html#more-cards", context)
    return render(request, "pipeline/board_column.html", context)


def _refused(
    request: HttpRequest, opportunity: Opportunity, message: str, form: MoveForm | None = None
) -> HttpResponse:
    if request.htmx:
        # 409 leaves the page as it was; the board puts the card back and shows the text.
        return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
    from_board = request.POST.get("next") == "board"
    if form is not None and not from_board:
        # On the deal page: the form again as it was sent, with the reason beside it.
        if not form.errors:
            form.add_error(None, message)
        return _detail(request, opportunity, move_form=form, status=422)
    messages.error(request, message)
    if from_board:
        return redirect("pipeline:board_pipeline", pk=opportunity.pipeline_id)
    return redirect("pipeline:opportunity_detail", pk=opportunity.pk)


@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.get_opportunity_for_user(request.user, pk)
    if not selectors.can_edit_opportunity(request.user, opportunity):
        return _refused(
            request, opportunity, "This deal is read-only for you; it stays where it was."
        )
    form = MoveForm(request.POST, opportunity=opportunity)
    if not form.is_valid():
        return _refused(request, opportunity, form.error_text(), form)
    previous = opportunity.stage
    try:
        services.opportunity_move_stage(
            actor=request.user,
            opportunity=opportunity,
            to_stage=form.cleaned_data["stage"],
            from_stage=form.cleaned_data["from_stage"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        return _refused(request, opportunity, " ".join(error.messages), form)
    if request.htmx:
        return _moved_on_board(request, opportunity, previous)
    messages.success(request, f"Moved to {opportunity.stage.name}.")
    if request.POST.get("next") == "board":
        return redirect(reverse("pipeline:board_pipeline", args=[opportunity.pipeline_id]))
    return redirect("pipeline:opportunity_detail", pk=opportunity.pk)


def _moved_on_board(
    request: HttpRequest, opportunity: Opportunity, previous: Stage
) -> HttpResponse:
    """The moved card at the top of its new column, and both columns' counts and totals."""
    form = BoardFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else selectors.BoardFilters()
    headers = [
        selectors.column_summary(user=request.user, stage=stage, filters=filters)
        for stage in (previous, opportunity.stage)
        if not stage.is_closed
    ]
    context = {
        "card": selectors.board_card(user=request.user, opportunity=opportunity),
        "headers": headers,
        "stages": selectors.open_stages(pipeline=opportunity.pipeline),
        "query": _board_query(request),
    }
    return render(request, "pipeline/card_moved.html", context)


@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.get_opportunity_for_user(request.user, pk))


@dataclass
class MovesPage:
    moves: list[StageChange]
    number: int
    has_older: bool


def _moves_page(opportunity: Opportunity, asked: str | None) -> MovesPage:
    number = whole_number(asked, most=999_999) or 1
    start = (number - 1) * MOVES_ON_DEAL_PAGE
    rows = list(
        selectors.stage_history(opportunity=opportunity)[start : start + MOVES_ON_DEAL_PAGE + 1]
    )
    return MovesPage(rows[:MOVES_ON_DEAL_PAGE], number, len(rows) > MOVES_ON_DEAL_PAGE)


def _detail(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    move_form: MoveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    account = opportunity.account
    can_edit = selectors.can_edit_opportunity(request.user, opportunity)
    # The latest few, and whether there are more (without counting them all).
    latest = list(
        prospect_selectors.account_conversations(account=account)[: CONVERSATIONS_ON_DEAL_PAGE + 1]
    )
    context = {
        "opportunity": opportunity,
        "account": account,
        "can_edit": can_edit,
        "can_edit_account": prospect_selectors.can_edit_account(request.user, account),
        **prospect_selectors.why_panel(account=account),
        "activity": selectors.opportunity_activity(opportunity=opportunity),
        # A deal that went back and forth for years has hundreds of moves: newest first,
        # a page at a time (one row more than shown says whether there are older ones,
        # without counting them all).
        "history": _moves_page(opportunity, request.GET.get("moves")),
        "conversations": latest[:CONVERSATIONS_ON_DEAL_PAGE],
        "more_conversations": len(latest) > CONVERSATIONS_ON_DEAL_PAGE,
        "qualified": selectors.is_qualified_for_specialist(opportunity=opportunity),
        "may_vouch": selectors.may_vouch(user=request.user, opportunity=opportunity),
    }
    sequence = selectors.soe_of(opportunity=opportunity)
    if sequence is not None:
        steps = selectors.soe_steps(sequence=sequence)
        context["soe"] = sequence
        context["soe_summary"] = selectors.soe_summary(steps=steps)
        if can_edit:
            context["suggestion"] = selectors.stage_suggestion(opportunity=opportunity, steps=steps)
    if can_edit:
        context["move_form"] = move_form or MoveForm(
            opportunity=opportunity,
            initial={
                "from_stage": opportunity.stage_id,
                # A suggestion to close links here with the stage picked in advance.
                "stage": request.GET.get("stage") or opportunity.stage_id,
            },
        )
        context["override_form"] = SpecialistOverrideForm()
    return render(request, "pipeline/opportunity_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = prospect_selectors.get_account_for_user(request.user, pk, for_edit=True)
    form = OpportunityForm(request.POST or None, user=request.user, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = services.opportunity_create(
                actor=request.user, account=account, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, f"Deal opened in {opportunity.stage.name}.")
            return redirect("pipeline:opportunity_detail", pk=opportunity.pk)
    context = {"form": form, "account": account, "opportunity": None}
    return render(
        request, "pipeline/opportunity_form.html", context, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.get_opportunity_for_user(request.user, pk, for_edit=True)
    form = OpportunityForm(
        request.POST or None, instance=opportunity, user=request.user, account=opportunity.account
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(
                actor=request.user, opportunity=opportunity, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, "Deal saved.")
            return redirect("pipeline:opportunity_detail", pk=opportunity.pk)
    if form.is_bound:
        opportunity.refresh_from_db()
    context = {"form": form, "account": opportunity.account, "opportunity": opportunity}
    return render(
        request, "pipeline/opportunity_form.html", context, status=422 if form.errors else 200
    )


@require_POST
def specialist_request(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.get_opportunity_for_user(request.user, pk, for_edit=True)
    try:
        services.opportunity_request_specialist(actor=request.user, opportunity=opportunity)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Specialist requested.")
    return redirect("pipeline:opportunity_detail", pk=opportunity.pk)


@require_POST
def specialist_override(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.get_opportunity_for_user(request.user, pk, for_edit=True)
    form = SpecialistOverrideForm(request.POST)
    if form.is_valid():
        try:
            services.opportunity_override_specialist(
                actor=request.user, opportunity=opportunity, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "You vouched for this deal; a specialist may be requested.")
    else:
        messages.error(request, "Say why the deal is qualified enough.")
    return redirect("pipeline:opportunity_detail", pk=opportunity.pk)


# --- Sequence of Events -----------------------------------------------------------------


def _step_for_user(user: User, pk: int) -> SoeStep:
    """A step, if the user may edit its deal (404 outside their reach, 403 read-only)."""
    deal_id = (
        SoeStep.objects.filter(pk=pk).values_list("sequence__opportunity_id", flat=True).first()
    )
    if deal_id is None:
        raise Http404("No such step.")
    opportunity = selectors.get_opportunity_for_user(user, deal_id, for_edit=True)
    step = SoeStep.objects.select_related("sequence").get(pk=pk)
    step.sequence.opportunity = opportunity
    return step


def _soe_or_404(opportunity: Opportunity) -> Sequence:
    sequence = selectors.soe_of(opportunity=opportunity)
    if sequence is None:
        raise Http404("This deal has no Sequence of Events yet.")
    return sequence


def _soe_page(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    step_form: SoeStepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    sequence = selectors.soe_of(opportunity=opportunity)
    can_edit = selectors.can_edit_opportunity(request.user, opportunity)
    context: dict[str, object] = {
        "opportunity": opportunity,
        "account": opportunity.account,
        "sequence": sequence,
        "can_edit": can_edit,
        **prospect_selectors.why_panel(account=opportunity.account),
    }
    if sequence is None:
        context["templates"] = selectors.soe_templates_for(opportunity=opportunity)
        return render(request, "pipeline/soe.html", context, status=status)
    steps = selectors.soe_steps(sequence=sequence)
    context |= {
        "steps": steps,
        "summary": selectors.soe_summary(steps=steps),
        "suggestion": selectors.stage_suggestion(opportunity=opportunity, steps=steps)
        if can_edit
        else None,
        "history": selectors.soe_history(sequence=sequence),
        "today": timezone.localdate(),
    }
    if can_edit:
        context["step_form"] = step_form or SoeStepForm(opportunity=opportunity, user=request.user)
        context["reception_form"] = ReceptionForm(
            initial={"reception": sequence.reception, "note": sequence.reception_note}
        )
    return render(request, "pipeline/soe.html", context, status=status)


@require_http_methods(["GET", "POST"])
def soe_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The deal's SOE; a POST starts it, blank or from a template."""
    opportunity = selectors.get_opportunity_for_user(
        request.user, pk, for_edit=request.method == "POST"
    )
    if request.method == "POST":
        template = None
        if request.POST.get("template"):
            templates = {str(t.pk): t for t in selectors.soe_templates_for(opportunity=opportunity)}
            template = templates.get(request.POST["template"])
            if template is None:
                messages.error(request, "Pick one of the templates offered.")
                return redirect("pipeline:soe", pk=opportunity.pk)
        try:
            services.soe_start(actor=request.user, opportunity=opportunity, template=template)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("pipeline:soe", pk=opportunity.pk)
    return _soe_page(request, opportunity)


@require_POST
def soe_step_add(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.get_opportunity_for_user(request.user, pk, for_edit=True)
    sequence = _soe_or_404(opportunity)
    form = SoeStepForm(request.POST, opportunity=opportunity, user=request.user)
    if form.is_valid():
        position = form.cleaned_data["position"]
        try:
            services.soe_step_add(
                actor=request.user,
                sequence=sequence,
                position=position - 1 if position else None,
                **form.values(),
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, "Step added.")
            return redirect("pipeline:soe", pk=opportunity.pk)
    return _soe_page(request, opportunity, step_form=form, status=422)


@require_http_methods(["GET", "POST"])
def soe_step_edit(request: HttpRequest, pk: int) -> HttpResponse:
    step = _step_for_user(request.user, pk)
    opportunity = step.sequence.opportunity
    form = SoeStepForm(
        request.POST or None, instance=step, opportunity=opportunity, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.soe_step_update(actor=request.user, step=step, **form.values())
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, "Step saved.")
            return redirect("pipeline:soe", pk=opportunity.pk)
    if form.is_bound:
        step.refresh_from_db()
    context = {"form": form, "step": step, "opportunity": opportunity}
    return render(
        request, "pipeline/soe_step_form.html", context, status=422 if form.errors else 200
    )


@require_POST
def soe_step_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Done, skipped (with a reason) or open again, in any order."""
    step = _step_for_user(request.user, pk)
    opportunity = step.sequence.opportunity
    try:
        if action == "done":
            done = services.soe_step_done(actor=request.user, step=step)
            if done.follow_up_proposal:
                messages.info(request, done.follow_up_proposal.message())
        elif action == "skip":
            form = SkipForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Say why the step is skipped (up to 300 characters).")
            services.soe_step_skip(
                actor=request.user, step=step, reason=form.cleaned_data["reason"]
            )
        elif action == "reopen":
            services.soe_step_reopen(actor=request.user, step=step)
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("pipeline:soe", pk=opportunity.pk)


@require_POST
def soe_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """A new order, from a drag (every id in order) or a keyboard move (one step up/down)."""
    opportunity = selectors.get_opportunity_for_user(request.user, pk, for_edit=True)
    sequence = _soe_or_404(opportunity)
    current = [step.pk for step in selectors.soe_steps(sequence=sequence)]
    order = _requested_order(request, current)
    if order is None:
        messages.error(
            request, "That order names steps this SOE does not have; reload and try again."
        )
    else:
        try:
            services.soe_reorder(actor=request.user, sequence=sequence, step_ids=order)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Order saved.")
    moved = request.POST.get("move", "")
    # Back to the step that moved, so a keyboard user carries on from where they were.
    anchor = f"#step-{moved}" if moved.isascii() and moved.isdigit() else "#steps-heading"
    return redirect(reverse("pipeline:soe", args=[opportunity.pk]) + anchor)


def _requested_order(request: HttpRequest, current: list[int]) -> list[int] | None:
    move, direction = request.POST.get("move"), request.POST.get("direction")
    if move is not None:
        if direction not in {"up", "down"} or not move.isascii() or not move.isdigit():
            return None
        pk = int(move)
        if pk not in current:
            return None
        index = current.index(pk)
        other = index - 1 if direction == "up" else index + 1
        order = list(current)
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
        return order
    form = ReorderForm(request.POST, step_ids=current)
    return form.cleaned_data["step"] if form.is_valid() else None


@require_POST
def soe_reception(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.get_opportunity_for_user(request.user, pk, for_edit=True)
    sequence = _soe_or_404(opportunity)
    form = ReceptionForm(request.POST)
    if form.is_valid():
        services.soe_set_reception(actor=request.user, sequence=sequence, **form.cleaned_data)
        messages.success(request, "Reception recorded.")
    else:
        messages.error(request, "Pick how they received it; keep the note under 2,000 characters.")
    return redirect("pipeline:soe", pk=opportunity.pk)


@require_GET
def soe_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The SOE's dated steps as an .ics file to import into a calendar."""
    opportunity = selectors.get_opportunity_for_user(request.user, pk)
    sequence = _soe_or_404(opportunity)
    steps = selectors.soe_calendar_steps(sequence=sequence)
    text = calendar.calendar(steps, name=f"SOE: {opportunity.account.name}")
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="soe-{opportunity.pk}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The user's private feed address: make one, replace it, or switch it off. A new
    address is shown on the answer to the POST that made it, and only there: salesflow
    keeps a hash of its secret, not the secret."""
    if request.method == "POST" and request.POST.get("action") == "revoke":
        services.calendar_feed_revoke(user=request.user)
        messages.success(request, "Feed switched off: its address shows nothing any more.")
        return redirect("pipeline:calendar_settings")
    feed_url = None
    if request.method == "POST":
        feed, token = services.calendar_feed_renew(user=request.user)
        feed_url = request.build_absolute_uri(reverse("pipeline:calendar_feed", args=[token]))
        messages.success(request, "New feed address made; any earlier one stopped working.")
    else:
        feed = CalendarFeed.objects.filter(user=request.user).first()
    response = render(
        request, "pipeline/calendar_settings.html", {"feed": feed, "feed_url": feed_url}
    )
    # No cache, the browser's included, may keep the one page that shows the address.
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A private iCalendar feed: the secret in its address is the only key."""
    user, steps = selectors.feed_steps(token=token)
    if user is None:
        raise Http404("No such feed.")
    text = calendar.calendar(steps, name=f"salesflow: {user.display_name}")
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def soe_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """A clean page to print (or save as PDF) and send to the champion."""
    opportunity = selectors.get_opportunity_for_user(request.user, pk)
    sequence = _soe_or_404(opportunity)
    small = opportunity.value < opportunity.pipeline.short_letter_below
    short = {"short": True, "full": False}.get(request.GET.get("version", ""), small)
    steps = [step for step in selectors.soe_steps(sequence=sequence) if step.status != "skipped"]
    context = {
        "opportunity": opportunity,
        "account": opportunity.account,
        "sequence": sequence,
        "steps": [step for step in steps if step.status == "open"] if short else steps,
        "short": short,
        "champion": selectors.champion_of(account=opportunity.account),
        **prospect_selectors.why_panel(account=opportunity.account),
    }
    return render(request, "pipeline/soe_letter.html", context)


@require_GET
def soe_templates(request: HttpRequest) -> HttpResponse:
    """Each segment's templates beside how its buyers really went: the order they took
    their steps in and how far those slipped from the first promise."""
    segments = list(Segment.objects.order_by("name"))
    chosen = request.GET.get("segment", "")
    segment = next((s for s in segments if str(s.pk) == chosen), segments[0] if segments else None)
    segment_id = segment.pk if segment else None
    templates = (
        SoeTemplate.objects.filter(segment_id=segment_id)
        .prefetch_related(
            Prefetch("steps", queryset=SoeTemplateStep.objects.select_related("kind"))
        )
        .order_by("name")
    )
    context = {
        "segments": segments,
        "segment": segment,
        "templates": templates,
        "patterns": selectors.buying_patterns(user=request.user, segment_id=segment_id),
    }
    return render(request, "pipeline/soe_templates.html", context)


# --- Follow-ups ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def followup_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = prospect_selectors.get_account_for_user(request.user, pk, for_edit=True)
    initial = {"opportunity": request.GET.get("deal")} if request.GET.get("deal") else None
    form = FollowUpForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up = services.followup_create(
                actor=request.user, account=account, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            return redirect("pipeline:followup_detail", pk=follow_up.pk)
    context = {"form": form, "account": account}
    return render(
        request, "pipeline/followup_form.html", context, status=422 if form.errors else 200
    )


@require_GET
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = selectors.get_followup_for_user(request.user, pk)
    context = {
        "follow_up": follow_up,
        "account": follow_up.account,
        "can_edit": prospect_selectors.can_edit_account(request.user, follow_up.account),
        "may_review": selectors.may_review_followup(user=request.user, follow_up=follow_up),
        "events": follow_up.events.select_related("by"),
        "done_form": FollowUpDoneForm(),
        **prospect_selectors.why_panel(account=follow_up.account),
    }
    return render(request, "pipeline/followup_detail.html", context)


@require_POST
def followup_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The manager approves a draft (perhaps edited) or sends it back with a comment."""
    follow_up = selectors.get_followup_for_user(request.user, pk)
    if not selectors.may_review_followup(user=request.user, follow_up=follow_up):
        raise PermissionDenied("Only the team's manager reviews its follow-ups.")
    form = FollowUpReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Approve or send back; comments up to 500 characters.")
        services.followup_review(
            actor=request.user,
            follow_up=follow_up,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
            draft=form.cleaned_data["draft"] if "draft" in request.POST else None,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Review saved.")
    return redirect("pipeline:followup_detail", pk=follow_up.pk)


@require_POST
def followup_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    follow_up = selectors.get_followup_for_user(request.user, pk)
    if not prospect_selectors.can_edit_account(request.user, follow_up.account):
        raise PermissionDenied("This follow-up is read-only for you.")
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if action == "done":
            done_form = FollowUpDoneForm(request.POST)
            if not done_form.is_valid():
                raise ValidationError("Pick a kind of conversation; notes up to 10,000 characters.")
            services.followup_done(
                actor=request.user, follow_up=follow_up, **done_form.cleaned_data
            )
            logged = " and the conversation logged" if done_form.cleaned_data["kind"] else ""
            messages.success(request, f"Done{logged}.")
            return redirect("home")
        if action == "dismiss":
            services.followup_dismiss(actor=request.user, follow_up=follow_up, reason=reason)
            messages.success(request, "Dismissed; the reason is kept.")
        elif action == "surface-now":
            services.followup_surface_now(actor=request.user, follow_up=follow_up, reason=reason)
            messages.success(request, "Surfaced now; your reason is kept for your manager.")
        elif action == "revise":
            revised = FollowUpReviseForm(request.POST)
            if not revised.is_valid():
                raise ValidationError(
                    "Say what it will accomplish (up to 300 characters); drafts up to 10,000."
                )
            services.followup_revise(
                actor=request.user, follow_up=follow_up, **revised.cleaned_data
            )
            messages.success(request, "Saved.")
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("pipeline:followup_detail", pk=follow_up.pk)


# --- Dashboard ------------------------------------------------------------------------------

# What the outcome tables (per currency, per segment) share.
OUTCOME_COLUMNS = [
    "open",
    "won",
    "lost",
    "disqualified",
    "win_rate",
    "won_value",
    "average_won",
    "cycle_days",
    "velocity",
]
# The CSV downloads: a figure's name (see dashboard.FIGURES) and its columns. The page shows
# the same rows.
DASHBOARD_CSV: dict[str, list[str]] = {
    "stages": [
        "pipeline__name",
        "stage__name",
        "stage__probability",
        "currency",
        "count",
        "amount",
        "weighted",
    ],
    "months": ["month", "currency", "count", "amount", "weighted"],
    "quarters": ["fiscal_year", "quarter", "currency", "count", "amount", "weighted"],
    "funnel": ["pipeline", "stage", "reached", "next_stage", "went_on", "conversion"],
    "time-in-stage": ["pipeline", "stage", "stays", "median_days", "p80_days"],
    "outcomes": ["currency", *OUTCOME_COLUMNS],
    "velocity": [
        "month",
        "currency",
        "open",
        "won",
        "lost",
        "win_rate",
        "average_won",
        "cycle_days",
        "velocity",
    ],
    "segments": [
        "segment",
        "currency",
        "opened",
        "opened_qualified",
        "opened_won",
        *OUTCOME_COLUMNS,
    ],
    "soe-receptions": ["reception", "won", "decided", "win_rate"],
    "slipped-steps": ["rep", "open_steps", "late", "moved"],
    "readiness": ["question", "answer", "won", "decided", "win_rate"],
    "lead-sources": [
        "source",
        "currency",
        "cost",
        "leads",
        "qualified",
        "won_value",
        "cost_per_qualified",
        "return",
    ],
    "coaching": [
        "rep",
        "conversations",
        "surfaced",
        "done",
        "dismissed",
        "patience_broken",
        "stuck",
        "happy_ears",
    ],
}


def _dashboard_scope(request: HttpRequest) -> tuple[DashboardFilterForm, dashboard.Scope]:
    form = DashboardFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else dashboard.DashboardFilters()
    return form, dashboard.Scope(user=request.user, filters=filters)


@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """Every figure as a table (readable without JavaScript), each with its CSV; the funnel
    and the velocity trend also as charts drawn from the same rows. The figures are the
    ones kept for this view if they are recent (the page says when they were worked out)."""
    form, scope = _dashboard_scope(request)
    kept = dashboard.snapshot(scope)
    tables = {name.replace("-", "_"): rows for name, rows in kept.figures.items()}
    charts = {
        "funnel": [
            {"pipeline": row["pipeline"], "stage": row["stage"], "reached": row["reached"]}
            for row in tables["funnel"]
        ],
        "velocity": [
            {
                "month": row["month"].strftime("%b %Y"),
                "currency": row["currency"],
                "velocity": None if row["velocity"] is None else float(row["velocity"]),
            }
            for row in tables["velocity"]
        ],
    }
    context = {
        "form": form,
        "query": request.GET.urlencode(),
        "scope": scope,
        "snapshot": kept,
        "keep_minutes": settings.SALESFLOW_DASHBOARD_KEEP_MINUTES,
        "charts_json": json.dumps(charts, cls=DjangoJSONEncoder),
        "commit_probability": settings.SALESFLOW_COMMIT_PROBABILITY,
        **tables,
    }
    template = "pipeline/dashboard.html"
    # A filter change redraws the figures, not the whole page; going back to a page htmx
    # did not keep asks for the whole page again.
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        template += "#figures"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
def dashboard_refresh(request: HttpRequest) -> HttpResponse:
    """Work the figures of this view out again now, then show them."""
    _, scope = _dashboard_scope(request)
    asked_at = timezone.now()
    if dashboard.snapshot(scope, refresh=True).taken_at < asked_at:
        messages.info(request, "These figures were worked out less than a minute ago.")
    # Back to the view, with the filters that were valid (the others were ignored).
    query = urlencode({name: value for name, value in asdict(scope.filters).items() if value})
    return redirect(reverse("pipeline:dashboard") + (f"?{query}" if query else ""))


@require_GET
def dashboard_csv(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the page as CSV: the same rows the page shows."""
    if table not in DASHBOARD_CSV:
        raise Http404("No such table.")
    columns = DASHBOARD_CSV[table]
    _, scope = _dashboard_scope(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="salesflow-{table}.csv"'
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in dashboard.snapshot(scope).figures[table]:
        writer.writerow(csv_safe(row[column] for column in columns))
    return response


@require_GET
def dashboard_rep(request: HttpRequest, pk: int) -> HttpResponse:
    """One rep's coaching view, for people whose figures the user may see; anyone else is a
    404, as if they did not exist."""
    form, scope = _dashboard_scope(request)
    rep = get_object_or_404(scope.people, pk=pk)
    context = {
        "form": form,
        "query": request.GET.urlencode(),
        "scope": scope,
        "coaching": dashboard.rep_coaching(scope, rep),
    }
    return render(request, "pipeline/dashboard_rep.html", context)
