"""Deals and the board. Views parse with forms and call services; access goes through
selectors.get_opportunity_for_user (404 outside the user's reach, 403 for read-only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pipeline import selectors, services
from pipeline.forms import BoardFilterForm, MoveForm, OpportunityForm, SpecialistOverrideForm
from pipeline.models import Opportunity, Pipeline, Stage
from prospects import selectors as prospect_selectors
from prospects.views import _form_errors_to, _why_context

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
    except (Stage.DoesNotExist, OverflowError):  # SQLite cannot even look up a huge id
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
        **_why_context(account),
        "activity": selectors.opportunity_activity(opportunity=opportunity),
        "history": selectors.stage_history(opportunity=opportunity),
        "conversations": latest[:CONVERSATIONS_ON_DEAL_PAGE],
        "more_conversations": len(latest) > CONVERSATIONS_ON_DEAL_PAGE,
        "qualified": selectors.is_qualified_for_specialist(opportunity=opportunity),
        "may_vouch": selectors.may_vouch(user=request.user, opportunity=opportunity),
    }
    if can_edit:
        context["move_form"] = move_form or MoveForm(opportunity=opportunity)
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
            _form_errors_to(form, error)
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
            _form_errors_to(form, error)
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
