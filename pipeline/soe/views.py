"""The Sequence of Events pages: the SOE, its steps (one URL and view per status move: done,
skip, reopen), the letter, the .ics and the private calendar feed. Views parse with forms and
call services; access goes through pipeline.soe.access (404 outside the user's reach, 403
for read-only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from pipeline.deals import access as deal_access
from pipeline.deals.models import Opportunity
from pipeline.soe import access as soe_access
from pipeline.soe import calendar
from pipeline.soe import selectors as soe_selectors
from pipeline.soe import services as soe_services
from pipeline.soe.forms import ReceptionForm, ReorderForm, SkipForm, SoeStepForm
from pipeline.soe.models import CalendarFeed, SoeStep, SoeTemplate, SoeTemplateStep
from prospects import selectors as prospect_selectors
from prospects.models import Segment
from salesflow.core.web import action_view, form_errors_to


def _soe_page(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    step_form: SoeStepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    sequence = soe_selectors.soe_of(opportunity=opportunity)
    can_edit = deal_access.can_edit_opportunity(request.user, opportunity)
    context: dict[str, object] = {
        "opportunity": opportunity,
        "account": opportunity.account,
        "sequence": sequence,
        "can_edit": can_edit,
        **prospect_selectors.why_panel(account=opportunity.account),
    }
    if sequence is None:
        context["templates"] = soe_selectors.soe_templates_for(opportunity=opportunity)
        return render(request, "pipeline/soe.html", context, status=status)
    steps = soe_selectors.soe_steps(sequence=sequence)
    context |= {
        "steps": steps,
        "summary": soe_selectors.soe_summary(steps=steps),
        "suggestion": soe_selectors.stage_suggestion(opportunity=opportunity, steps=steps)
        if can_edit
        else None,
        "history": soe_selectors.soe_history(sequence=sequence),
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
    opportunity = deal_access.get_opportunity_for_user(
        request.user, pk, for_edit=request.method == "POST"
    )
    if request.method == "POST":
        template = None
        if request.POST.get("template"):
            templates = {
                str(t.pk): t for t in soe_selectors.soe_templates_for(opportunity=opportunity)
            }
            template = templates.get(request.POST["template"])
            if template is None:
                messages.error(request, "Pick one of the templates offered.")
                return redirect("pipeline:soe", pk=opportunity.pk)
        try:
            soe_services.soe_start(actor=request.user, opportunity=opportunity, template=template)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("pipeline:soe", pk=opportunity.pk)
    return _soe_page(request, opportunity)


@require_POST
def soe_step_add(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = soe_access.get_soe_for_user(request.user, pk, for_edit=True)
    opportunity = sequence.opportunity
    form = SoeStepForm(request.POST, opportunity=opportunity, user=request.user)
    if form.is_valid():
        position = form.cleaned_data["position"]
        try:
            soe_services.soe_step_add(
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
    step = soe_access.get_step_for_user(request.user, pk)
    opportunity = step.sequence.opportunity
    form = SoeStepForm(
        request.POST or None, instance=step, opportunity=opportunity, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            soe_services.soe_step_update(actor=request.user, step=step, **form.values())
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


# Each status move of a step is a view of its own (SoeStep.TRANSITIONS); they share loading
# the step for editing (404 outside the user's reach, 403 read-only) and going back to the SOE.
on_step = action_view(
    load=lambda request, pk: soe_access.get_step_for_user(request.user, pk),
    back=lambda step: redirect("pipeline:soe", pk=step.sequence.opportunity.pk),
)


@on_step
def soe_step_done(request: HttpRequest, step: SoeStep) -> None:
    """Done, in any order; says what it did to a follow-up the patience rules propose."""
    proposal = soe_services.soe_step_done(actor=request.user, step=step).follow_up_proposal
    if proposal:
        messages.info(request, proposal.message())


@on_step
def soe_step_skip(request: HttpRequest, step: SoeStep) -> None:
    """Skipped, with the reason why."""
    form = SkipForm(request.POST)
    if not form.is_valid():
        raise ValidationError("Say why the step is skipped (up to 300 characters).")
    soe_services.soe_step_skip(actor=request.user, step=step, reason=form.cleaned_data["reason"])


@on_step
def soe_step_reopen(request: HttpRequest, step: SoeStep) -> None:
    """Open again, whether it was done or skipped."""
    soe_services.soe_step_reopen(actor=request.user, step=step)


@require_POST
def soe_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """A new order, from a drag (every id in order) or a keyboard move (one step up/down)."""
    sequence = soe_access.get_soe_for_user(request.user, pk, for_edit=True)
    opportunity = sequence.opportunity
    current = [step.pk for step in soe_selectors.soe_steps(sequence=sequence)]
    order = _requested_order(request, current)
    if order is None:
        messages.error(
            request, "That order names steps this SOE does not have; reload and try again."
        )
    else:
        try:
            soe_services.soe_reorder(actor=request.user, sequence=sequence, step_ids=order)
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
    sequence = soe_access.get_soe_for_user(request.user, pk, for_edit=True)
    opportunity = sequence.opportunity
    form = ReceptionForm(request.POST)
    if form.is_valid():
        soe_services.soe_set_reception(actor=request.user, sequence=sequence, **form.cleaned_data)
        messages.success(request, "Reception recorded.")
    else:
        messages.error(request, "Pick how they received it; keep the note under 2,000 characters.")
    return redirect("pipeline:soe", pk=opportunity.pk)


@require_GET
def soe_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The SOE's dated steps as an .ics file to import into a calendar."""
    sequence = soe_access.get_soe_for_user(request.user, pk)
    opportunity = sequence.opportunity
    steps = soe_selectors.soe_calendar_steps(sequence=sequence)
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
        soe_services.calendar_feed_revoke(user=request.user)
        messages.success(request, "Feed switched off: its address shows nothing any more.")
        return redirect("pipeline:calendar_settings")
    feed_url = None
    if request.method == "POST":
        feed, token = soe_services.calendar_feed_renew(user=request.user)
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
    user, steps = soe_selectors.feed_steps(token=token)
    if user is None:
        raise Http404("No such feed.")
    text = calendar.calendar(steps, name=f"salesflow: {user.display_name}")
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def soe_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """A clean page to print (or save as PDF) and send to the champion."""
    sequence = soe_access.get_soe_for_user(request.user, pk)
    opportunity = sequence.opportunity
    small = opportunity.value < opportunity.pipeline.short_letter_below
    short = {"short": True, "full": False}.get(request.GET.get("version", ""), small)
    steps = [
        step for step in soe_selectors.soe_steps(sequence=sequence) if step.status != "skipped"
    ]
    context = {
        "opportunity": opportunity,
        "account": opportunity.account,
        "sequence": sequence,
        "steps": [step for step in steps if step.status == "open"] if short else steps,
        "short": short,
        "champion": soe_selectors.champion_of(account=opportunity.account),
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
        "patterns": soe_selectors.buying_patterns(user=request.user, segment_id=segment_id),
    }
    return render(request, "pipeline/soe_templates.html", context)
