"""The rep's workspace: accounts, contacts, conversation logging and the prospect's why.

Views parse input with forms and call services; access goes through prospects.access's
get_*_for_user helpers (404 outside the user's reach, 403 for read-only).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from prospects import access, duplicates, selectors, services
from prospects.forms import (
    AccountFilterForm,
    AccountForm,
    ContactForm,
    ConversationForm,
    WhyForm,
    conversation_initial,
)
from prospects.lists import ACCOUNTS, CONTACTS
from prospects.models import Account, Contact, ConversationKind
from prospects.panels import ACCOUNT
from prospects.privacy import access as privacy_access
from prospects.privacy import selectors as privacy_selectors
from salesflow.core.audit.views import history_page
from salesflow.core.lists.views import list_csv_response, list_response
from salesflow.core.web import form_errors_to, streamed_csv

TIMELINE_PER_PAGE = 20
# The name of the "Create anyway" button's field: a creation that looked like a duplicate
# goes ahead only when the form comes back with it.
CREATE_ANYWAY = "create_anyway"


def _page(request: HttpRequest, items: object, per_page: int) -> object:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    return list_response(request, ACCOUNTS, "prospects/account_list.html")


@require_GET
def account_list_csv(request: HttpRequest) -> HttpResponse:
    """The account list as shown (filters, sort, columns), every row of it."""
    return list_csv_response(request, ACCOUNTS, filename="accounts.csv")


@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    return list_response(request, CONTACTS, "prospects/contact_list.html")


@require_GET
def contact_list_csv(request: HttpRequest) -> HttpResponse:
    """The contact list as shown (filters, sort, columns), every row of it."""
    return list_csv_response(request, CONTACTS, filename="contacts.csv")


@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, user=request.user)
    matches: list[Account] = []
    if request.method == "POST" and form.is_valid():
        # Nothing is saved while the account looks like one the user can already see, until
        # they say "create anyway" (only that button carries the field, so an edited name
        # submitted with Save is checked again).
        if not request.POST.get(CREATE_ANYWAY):
            matches = duplicates.similar_accounts(
                request.user,
                name=form.cleaned_data["name"],
                website=form.cleaned_data.get("website") or "",
            )
        if not matches:
            try:
                account = services.account_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_errors_to(form, error)
            else:
                messages.success(request, f"{account.name} added.")
                return redirect("prospects:account_detail", pk=account.pk)
    context = {"form": form, "account": None, "matches": matches}
    return render(request, "prospects/account_form.html", context)


@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.get_account_for_user(request.user, pk, for_edit=True)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(actor=request.user, account=account, **form.cleaned_data)
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, "Account saved.")
            return redirect("prospects:account_detail", pk=account.pk)
    if form.is_bound:
        # A refused save must not leave the form's values on the account shown in the header.
        account.refresh_from_db()
    return render(request, "prospects/account_form.html", {"form": form, "account": account})


def _account_context(request: HttpRequest, account: Account) -> dict[str, object]:
    return {
        "account": account,
        "can_edit": access.can_edit_account(request.user, account),
        **selectors.why_panel(account=account),
        "contacts": selectors.account_contacts(account=account),
        # The apps built on prospects: pipeline's deals and follow-ups.
        **ACCOUNT.context(request.user, account=account),
        "timeline": _page(request, selectors.account_timeline(account=account), TIMELINE_PER_PAGE),
    }


@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.get_account_for_user(request.user, pk)
    context = _account_context(request, account)
    if context["can_edit"]:
        context["conversation_form"] = ConversationForm(account=account)
    return render(request, "prospects/account_detail.html", context)


@require_GET
def account_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The account's History tab: every recorded change, for whoever may see the account."""
    account = access.get_account_for_user(request.user, pk)
    return history_page(
        request,
        account,
        title=account.name,
        object_url=reverse("prospects:account_detail", args=[account.pk]),
        history_url=reverse("prospects:account_history", args=[account.pk]),
    )


@require_GET
def account_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.get_account_for_user(request.user, pk)
    timeline = _page(request, selectors.account_timeline(account=account), TIMELINE_PER_PAGE)
    context = {"account": account, "timeline": timeline}
    if request.htmx:
        return render(request, "prospects/account_detail.html#timeline-page", context)
    detail = reverse("prospects:account_detail", args=[account.pk])
    return redirect(f"{detail}?page={timeline.number}#timeline")


@require_http_methods(["GET", "POST"])
def conversation_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.get_account_for_user(request.user, pk, for_edit=True)
    # A link may fill the form in (an appointment's "Log how it went").
    initial = conversation_initial(request.GET) if request.method == "GET" else None
    form = ConversationForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.conversation_log(
                actor=request.user, account=account, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            # What the apps built on prospects made of it (a follow-up proposed, or the
            # waiting one held longer), said where the rep logged it.
            follow_up_message = " ".join(conversation.outcome_messages)
            if not request.htmx:
                messages.success(request, f"Conversation logged. {follow_up_message}".strip())
                return redirect("prospects:account_detail", pk=account.pk)
            context = _account_context(request, account)
            context["conversation_form"] = ConversationForm(account=account)
            context["logged"] = True
            context["follow_up_message"] = follow_up_message
            return render(request, "prospects/conversation_logged.html", context)
    context = {"account": account, "conversation_form": form}
    if request.htmx:
        # Re-render only the form, with its messages and what the rep typed.
        return render(
            request,
            "prospects/account_detail.html#conversation-form",
            context,
            status=422 if form.errors else 200,
        )
    return render(
        request, "prospects/conversation_form.html", context, status=422 if form.errors else 200
    )


@require_GET
def conversation_questions(request: HttpRequest, pk: int) -> HttpResponse:
    """The facilitative questions for the kind picked in the logging form (an htmx fragment)."""
    account = access.get_account_for_user(request.user, pk, for_edit=True)
    kind = request.GET.get("kind", "")
    if kind not in ConversationKind.values:
        kind = ConversationKind.OTHER
    form = ConversationForm(account=account, initial={"kind": kind})
    return render(
        request, "prospects/account_detail.html#question-prompts", {"conversation_form": form}
    )


@require_http_methods(["GET", "POST"])
def why_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.get_account_for_user(request.user, pk, for_edit=True)
    history = selectors.why_history(account=account)  # newest first: [0] is the current why
    current = history[0] if history else None
    initial = {"text": current.text, "said_by": current.said_by_id} if current else {}
    form = WhyForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.why_record(actor=request.user, account=account, **form.cleaned_data)
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            if not request.htmx:
                messages.success(request, "Why saved; the earlier version is kept in its history.")
                return redirect("prospects:account_detail", pk=account.pk)
            context = _account_context(request, account)
            return render(request, "prospects/why_saved.html", context)
    context = {
        "account": account,
        "why_form": form,
        "why": current,
        "history": history,
    }
    status = 422 if form.errors else 200
    if request.htmx:
        return render(request, "prospects/why_form.html#why-form", context, status=status)
    return render(request, "prospects/why_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.get_account_for_user(request.user, pk, for_edit=True)
    form = ContactForm(request.POST or None)
    form.instance.account = account
    return _contact_form(request, form, account, warn_duplicates=True)


@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access.get_contact_for_user(request.user, pk)
    context = {
        "contact": contact,
        "account": contact.account,
        "can_edit": access.can_edit_account(request.user, contact.account)
        and contact.erased_at is None,
        "conversations": selectors.contact_conversations(contact=contact),
        # Data-protection requests (prospects.privacy): sales ops and admins only.
        "can_handle_requests": privacy_access.can_handle_requests(request.user),
        "erasure": privacy_selectors.contact_erasure(contact=contact),
    }
    return render(request, "prospects/contact_detail.html", context)


@require_GET
def contact_history(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access.get_contact_for_user(request.user, pk)
    return history_page(
        request,
        contact,
        title=contact.name,
        object_url=reverse("prospects:contact_detail", args=[contact.pk]),
        history_url=reverse("prospects:contact_history", args=[contact.pk]),
    )


@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access.get_contact_for_user(request.user, pk, for_edit=True)
    form = ContactForm(request.POST or None, instance=contact)
    return _contact_form(request, form, contact.account)


def _contact_form(
    request: HttpRequest, form: ContactForm, account: Account, *, warn_duplicates: bool = False
) -> HttpResponse:
    matches: list[Contact] = []
    posted = request.method == "POST" and form.is_valid()
    # Only a new contact is checked: an edit is of a record already chosen.
    if posted and warn_duplicates and not request.POST.get(CREATE_ANYWAY):
        matches = duplicates.similar_contacts(
            request.user,
            account,
            name=form.cleaned_data["name"],
            email=form.cleaned_data.get("email") or "",
        )
    if posted and not matches:
        try:
            services.contact_save(actor=request.user, contact=form.instance)
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, f"{form.instance.name} saved.")
            return redirect("prospects:account_detail", pk=account.pk)
    context = {"form": form, "account": account, "matches": matches}
    return render(request, "prospects/contact_form.html", context)


@require_GET
def account_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered account list as CSV, streamed so a large export never sits in memory;
    its headers are the import's own, so the file can be imported again as it is."""
    form = AccountFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else selectors.AccountFilters()
    rows = selectors.account_export_rows(user=request.user, filters=filters)
    return streamed_csv("accounts.csv", selectors.EXPORT_COLUMNS, rows)


@require_GET
def contact_list_export(request: HttpRequest) -> StreamingHttpResponse:
    """The contacts of every account the user may see, as CSV the import reads back."""
    rows = selectors.contact_export_rows(user=request.user)
    return streamed_csv("contacts.csv", selectors.CONTACT_EXPORT_COLUMNS, rows)
