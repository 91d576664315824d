"""Follow-up pages and the moves a person makes on one. Each move has its own URL and view
(done, dismiss, surface now, rework, the manager's approval); they share one helper for
access (pipeline.followups.access) and answers. Views parse with forms and call services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from pipeline.followups import access as followup_access
from pipeline.followups import services as followup_services
from pipeline.followups.forms import (
    FollowUpApprovalForm,
    FollowUpDoneForm,
    FollowUpForm,
    FollowUpReviseForm,
    ReasonForm,
)
from pipeline.followups.models import FollowUp
from prospects import access as prospect_access
from prospects import selectors as prospect_selectors
from salesflow.core.web import action_view, form_errors_to


@require_http_methods(["GET", "POST"])
def followup_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = prospect_access.get_account_for_user(request.user, pk, for_edit=True)
    initial = {"opportunity": request.GET.get("deal")} if request.GET.get("deal") else None
    form = FollowUpForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up = followup_services.followup_create(
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
    follow_up = followup_access.get_followup_for_user(request.user, pk)
    context = {
        "follow_up": follow_up,
        "account": follow_up.account,
        "can_edit": followup_access.can_edit_followup(request.user, follow_up),
        "may_approve": followup_access.may_approve_followup(user=request.user, follow_up=follow_up),
        "events": follow_up.events.select_related("by"),
        "done_form": FollowUpDoneForm(),
        **prospect_selectors.why_panel(account=follow_up.account),
    }
    return render(request, "pipeline/followup_detail.html", context)


def _followup_to_change(request: HttpRequest, pk: int) -> FollowUp:
    return followup_access.get_followup_for_user(request.user, pk, for_edit=True)


def _followup_to_approve(request: HttpRequest, pk: int) -> FollowUp:
    return followup_access.get_followup_to_approve(request.user, pk)


def _back_to_followup(follow_up: FollowUp) -> HttpResponse:
    return redirect("pipeline:followup_detail", pk=follow_up.pk)


# Each move a person makes on a follow-up is a view of its own; they share loading it for
# a change (404 outside the user's reach, 403 read-only) and going back to its page.
on_followup = action_view(load=_followup_to_change, back=_back_to_followup)


@action_view(load=_followup_to_approve, back=_back_to_followup)
def followup_approve(request: HttpRequest, follow_up: FollowUp) -> None:
    """The manager approves a draft (perhaps edited) or sends it back with a comment."""
    form = FollowUpApprovalForm(request.POST)
    if not form.is_valid():
        raise ValidationError("Approve or send back; comments up to 500 characters.")
    decide = (
        followup_services.followup_approve
        if form.cleaned_data["decision"] == "approve"
        else followup_services.followup_send_back
    )
    decide(
        actor=request.user,
        follow_up=follow_up,
        comment=form.cleaned_data["comment"],
        draft=form.cleaned_data["draft"] if "draft" in request.POST else None,
    )
    messages.success(request, "Review saved.")


def _reason_given(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@on_followup
def followup_done(request: HttpRequest, follow_up: FollowUp) -> HttpResponse:
    """Done, and the conversation it led to logged if the rep says how it went."""
    form = FollowUpDoneForm(request.POST)
    if not form.is_valid():
        raise ValidationError("Pick a kind of conversation; notes up to 10,000 characters.")
    followup_services.followup_done(actor=request.user, follow_up=follow_up, **form.cleaned_data)
    logged = " and the conversation logged" if form.cleaned_data["kind"] else ""
    messages.success(request, f"Done{logged}.")
    return redirect("home")


@on_followup
def followup_dismiss(request: HttpRequest, follow_up: FollowUp) -> None:
    reason = _reason_given(request)
    followup_services.followup_dismiss(actor=request.user, follow_up=follow_up, reason=reason)
    messages.success(request, "Dismissed; the reason is kept.")


@on_followup
def followup_surface_now(request: HttpRequest, follow_up: FollowUp) -> None:
    reason = _reason_given(request)
    followup_services.followup_surface_now(actor=request.user, follow_up=follow_up, reason=reason)
    messages.success(request, "Surfaced now; your reason is kept for your manager.")


@on_followup
def followup_revise(request: HttpRequest, follow_up: FollowUp) -> None:
    form = FollowUpReviseForm(request.POST)
    if not form.is_valid():
        raise ValidationError(followup_services.REWORK_LIMITS)
    followup_services.followup_revise(actor=request.user, follow_up=follow_up, **form.cleaned_data)
    messages.success(request, "Saved.")
