"""Deals and the board. Views parse with forms and call services; access goes through
pipeline.deals.access (404 outside the user's reach, 403 for read-only)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from pipeline.appointments import selectors as appointment_selectors
from pipeline.deals import access as deal_access
from pipeline.deals import selectors as deal_selectors
from pipeline.deals import services as deal_services
from pipeline.deals.forms import (
    BoardFilterForm,
    DealContactForm,
    MoveForm,
    OpportunityForm,
    SpecialistOverrideForm,
)
from pipeline.deals.models import Opportunity, Pipeline, Stage, StageChange
from pipeline.deals.table import DEALS
from pipeline.soe import selectors as soe_selectors
from prospects import access as prospect_access
from prospects import selectors as prospect_selectors
from salesflow.core.audit.views import history_page
from salesflow.core.fields import whole_number
from salesflow.core.lists.views import list_csv_response, list_response
from salesflow.core.web import form_errors_to, streamed_csv

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
    pipelines = list(deal_selectors.pipelines())
    pipeline = _pick_pipeline(pipelines, pk)
    form = BoardFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else deal_selectors.BoardFilters()
    columns = deal_selectors.board(user=request.user, pipeline=pipeline, filters=filters)
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
    filters = form.filters() if form.is_bound else deal_selectors.BoardFilters()
    try:
        offset = max(0, min(int(request.GET.get("offset", 0)), 10**9))
    except ValueError:
        offset = 0
    cards, more = deal_selectors.column_page(
        user=request.user, stage=stage, filters=filters, offset=offset
    )
    context = {
        "stage": stage,
        "pipeline": stage.pipeline,
        "stages": deal_selectors.open_stages(pipeline=stage.pipeline),
        "cards": cards,
        "more": more,
        "next_offset": offset + len(cards),
        "previous_offset": max(0, offset - deal_selectors.CARDS_PER_COLUMN) if offset else None,
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
    opportunity = deal_access.get_opportunity_for_user(request.user, pk)
    if not deal_access.can_edit_opportunity(request.user, opportunity):
        return _refused(
            request, opportunity, "This deal is read-only for you; it stays where it was."
        )
    form = MoveForm(request.POST, opportunity=opportunity)
    if not form.is_valid():
        return _refused(request, opportunity, form.error_text(), form)
    previous = opportunity.stage
    try:
        deal_services.opportunity_move_stage(
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
    filters = form.filters() if form.is_bound else deal_selectors.BoardFilters()
    headers = [
        deal_selectors.column_summary(user=request.user, stage=stage, filters=filters)
        for stage in (previous, opportunity.stage)
        if not stage.is_closed
    ]
    context = {
        "card": deal_selectors.board_card(user=request.user, opportunity=opportunity),
        "headers": headers,
        "stages": deal_selectors.open_stages(pipeline=opportunity.pipeline),
        "query": _board_query(request),
    }
    return render(request, "pipeline/card_moved.html", context)


@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, deal_access.get_opportunity_for_user(request.user, pk))


@require_GET
def opportunity_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The deal's History tab: every recorded change, for whoever may see the deal."""
    opportunity = deal_access.get_opportunity_for_user(request.user, pk)
    return history_page(
        request,
        opportunity,
        title=opportunity.name,
        object_url=reverse("pipeline:opportunity_detail", args=[opportunity.pk]),
        history_url=reverse("pipeline:opportunity_history", args=[opportunity.pk]),
    )


@dataclass
class MovesPage:
    moves: list[StageChange]
    number: int
    has_older: bool


def _moves_page(opportunity: Opportunity, asked: str | None) -> MovesPage:
    number = whole_number(asked, most=999_999) or 1
    start = (number - 1) * MOVES_ON_DEAL_PAGE
    rows = list(
        deal_selectors.stage_history(opportunity=opportunity)[
            start : start + MOVES_ON_DEAL_PAGE + 1
        ]
    )
    return MovesPage(rows[:MOVES_ON_DEAL_PAGE], number, len(rows) > MOVES_ON_DEAL_PAGE)


def _detail(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    move_form: MoveForm | None = None,
    committee_form: DealContactForm | None = None,
    status: int = 200,
) -> HttpResponse:
    account = opportunity.account
    can_edit = deal_access.can_edit_opportunity(request.user, opportunity)
    # The latest few, and whether there are more (without counting them all).
    latest = list(
        prospect_selectors.account_conversations(account=account)[: CONVERSATIONS_ON_DEAL_PAGE + 1]
    )
    context = {
        "opportunity": opportunity,
        "account": account,
        "can_edit": can_edit,
        "can_edit_account": prospect_access.can_edit_account(request.user, account),
        **prospect_selectors.why_panel(account=account),
        "activity": deal_selectors.opportunity_activity(opportunity=opportunity),
        # A deal that went back and forth for years has hundreds of moves: newest first,
        # a page at a time (one row more than shown says whether there are older ones,
        # without counting them all).
        "history": _moves_page(opportunity, request.GET.get("moves")),
        "conversations": latest[:CONVERSATIONS_ON_DEAL_PAGE],
        "more_conversations": len(latest) > CONVERSATIONS_ON_DEAL_PAGE,
        "qualified": deal_selectors.is_qualified_for_specialist(opportunity=opportunity),
        "may_vouch": deal_access.may_vouch(user=request.user, opportunity=opportunity),
        **_committee_context(opportunity, can_edit=can_edit, form=committee_form),
        "appointments": appointment_selectors.upcoming_for_deal(opportunity=opportunity),
    }
    sequence = soe_selectors.soe_of(opportunity=opportunity)
    if sequence is not None:
        steps = soe_selectors.soe_steps(sequence=sequence)
        context["soe"] = sequence
        context["soe_summary"] = soe_selectors.soe_summary(steps=steps)
        if can_edit:
            context["suggestion"] = soe_selectors.stage_suggestion(
                opportunity=opportunity, steps=steps
            )
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


def _committee_context(
    opportunity: Opportunity, *, can_edit: bool, form: DealContactForm | None = None
) -> dict[str, object]:
    committee = deal_selectors.buying_committee(opportunity=opportunity)
    context: dict[str, object] = {"committee": committee.seats}
    if can_edit:
        if form is None:
            form = DealContactForm(candidates=committee.candidates)
        else:
            # The form as it was sent, offering who may join now.
            form.fields["contact"].choices = (
                DealContactForm(candidates=committee.candidates).fields["contact"].choices
            )
        context["committee_form"] = form
    return context


def _committee_answer(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    done: str = "",
    form: DealContactForm | None = None,
    error: str = "",
) -> HttpResponse:
    """htmx: the panel again (with the form's errors, 422); otherwise back to the deal page,
    or the page itself with the form as it was sent."""
    status = 422 if error or (form is not None and form.errors) else 200
    if request.htmx:
        context = {
            "opportunity": opportunity,
            "can_edit": True,
            "committee_done": done,
            "committee_error": error,
            **_committee_context(opportunity, can_edit=True, form=form),
        }
        return render(request, "pipeline/opportunity_detail.html#committee", context, status=status)
    if status == 422 and form is not None:
        return _detail(request, opportunity, committee_form=form, status=422)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect(reverse("pipeline:opportunity_detail", args=[opportunity.pk]) + "#committee")


@require_POST
def committee_add(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = deal_access.get_opportunity_for_user(request.user, pk, for_edit=True)
    # What the form parses does not depend on the list it offers: that is read afterwards.
    form = DealContactForm(request.POST, candidates=[])
    if form.is_valid():
        try:
            seat = deal_services.deal_contact_add(
                actor=request.user,
                opportunity=opportunity,
                contact=form.cleaned_data["contact"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            done = f"{seat.contact.name} is on the buying committee."
            return _committee_answer(request, opportunity, done=done)
    # A fresh form's list, but what was sent and its errors kept.
    return _committee_answer(request, opportunity, form=form)


@require_POST
def committee_remove(request: HttpRequest, pk: int, seat: int) -> HttpResponse:
    opportunity = deal_access.get_opportunity_for_user(request.user, pk, for_edit=True)
    try:
        deal_services.deal_contact_remove(actor=request.user, opportunity=opportunity, seat_id=seat)
    except ValidationError as error:
        return _committee_answer(request, opportunity, error=" ".join(error.messages))
    return _committee_answer(request, opportunity, done="Taken off the buying committee.")


@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = prospect_access.get_account_for_user(request.user, pk, for_edit=True)
    form = OpportunityForm(request.POST or None, user=request.user, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = deal_services.opportunity_create(
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
    opportunity = deal_access.get_opportunity_for_user(request.user, pk, for_edit=True)
    form = OpportunityForm(
        request.POST or None, instance=opportunity, user=request.user, account=opportunity.account
    )
    if request.method == "POST" and form.is_valid():
        try:
            deal_services.opportunity_update(
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
    opportunity = deal_access.get_opportunity_for_user(request.user, pk, for_edit=True)
    try:
        deal_services.opportunity_request_specialist(actor=request.user, opportunity=opportunity)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Specialist requested.")
    return redirect("pipeline:opportunity_detail", pk=opportunity.pk)


@require_POST
def specialist_override(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = deal_access.get_opportunity_for_user(request.user, pk, for_edit=True)
    form = SpecialistOverrideForm(request.POST)
    if form.is_valid():
        try:
            deal_services.opportunity_override_specialist(
                actor=request.user, opportunity=opportunity, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "You vouched for this deal; a specialist may be requested.")
    else:
        messages.error(request, "Say why the deal is qualified enough.")
    return redirect("pipeline:opportunity_detail", pk=opportunity.pk)


@require_GET
def deal_export(request: HttpRequest) -> StreamingHttpResponse:
    """Every deal the user may see as CSV, streamed; the deals import reads it back as it is."""
    rows = deal_selectors.deal_export_rows(user=request.user)
    return streamed_csv("deals.csv", deal_selectors.EXPORT_COLUMNS, rows)


@require_GET
def deal_table(request: HttpRequest) -> HttpResponse:
    """Every deal the user may see, open and closed, as a table (pipeline.deals.table)."""
    return list_response(request, DEALS, "pipeline/deal_table.html", selectable=True)


@require_GET
def deal_table_csv(request: HttpRequest) -> HttpResponse:
    return list_csv_response(request, DEALS, filename="deals.csv")
