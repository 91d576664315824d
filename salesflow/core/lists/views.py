"""The pages every list shares: saving the current view, changing a saved one, and the
column chooser. Each answers by going back to the list (a message says what happened)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from salesflow.core.lists import selectors, services
from salesflow.core.lists.access import get_saved_view_for_user
from salesflow.core.lists.forms import RenameForm, SavedViewForm
from salesflow.core.lists.models import SavedView
from salesflow.core.lists.spec import COLUMNS, CURSOR, LISTS, VIEW, ListSpec
from salesflow.core.web import action_view, csv_safe


def _spec(list_key: str) -> ListSpec:
    try:
        return LISTS[list_key]
    except KeyError:
        raise Http404("No such list.") from None


def _back(spec: ListSpec, query: str = "", **changes: str | None) -> HttpResponse:
    """The list at this query (parsed again, so only a query string goes into the address)."""
    kept = QueryDict(query[:8000], mutable=True)
    kept.pop(CURSOR, None)
    for key, value in changes.items():
        kept.pop(key, None)
        if value is not None:
            kept[key] = value
    text = kept.urlencode()
    return HttpResponseRedirect(reverse(spec.url_name) + (f"?{text}" if text else ""))


def view_address(view: SavedView) -> HttpResponse:
    spec = _spec(view.list_key)
    changes = {VIEW: str(view.pk), COLUMNS: ",".join(view.columns) if view.columns else None}
    # sort is part of a saved query; a view saved with no filters at all still opens as
    # itself, not as the person's default.
    query = view.query or f"sort={spec.default_sort}"
    return _back(spec, query, **changes)


@require_POST
def saved_view_create(request: HttpRequest, list_key: str) -> HttpResponse:
    spec = _spec(list_key)
    form = SavedViewForm(request.POST)
    query = request.POST.get("query", "")
    if not form.is_valid():
        messages.error(
            request, "Not saved: " + " ".join(m for e in form.errors.values() for m in e)
        )
        return _back(spec, query)
    data = form.cleaned_data
    try:
        view = services.saved_view_save(
            actor=request.user,
            list_key=spec.key,
            name=data["name"],
            query=data["query"],
            columns=[key for key in data["columns"].split(",") if key],
            share=data["share"],
            make_default=data["make_default"],
        )
    except ValidationError as error:
        messages.error(request, "Not saved. " + " ".join(error.messages))
        return _back(spec, query)
    messages.success(request, f"View “{view.name}” saved.")
    return view_address(view)


@require_GET
def saved_view_open(request: HttpRequest, pk: int) -> HttpResponse:
    """A saved view's own address, to pass to a teammate: the list with its filters."""
    return view_address(get_saved_view_for_user(request.user, pk))


on_view = action_view(
    load=lambda request, pk: get_saved_view_for_user(request.user, pk, for_edit=True),
    back=view_address,
)


@on_view
def saved_view_rename(request: HttpRequest, view: SavedView) -> None:
    form = RenameForm(request.POST)
    if not form.is_valid():
        raise ValidationError(["Not renamed: give a name of up to 80 characters."])
    services.saved_view_rename(actor=request.user, view=view, name=form.cleaned_data["name"])
    messages.success(request, f"Renamed to “{view.name}”.")


@on_view
def saved_view_share(request: HttpRequest, view: SavedView) -> None:
    share = request.POST.get("share") == "1"
    services.saved_view_share(actor=request.user, view=view, share=share)
    messages.success(request, "Shared with your team." if share else "Now private to you.")


@on_view
def saved_view_default(request: HttpRequest, view: SavedView) -> None:
    default = request.POST.get("default") == "1"
    services.saved_view_make_default(actor=request.user, view=view, default=default)
    messages.success(
        request,
        f"The list opens with “{view.name}”." if default else "The list opens the usual way.",
    )


@on_view
def saved_view_delete(request: HttpRequest, view: SavedView) -> HttpResponse:
    spec = _spec(view.list_key)
    services.saved_view_delete(actor=request.user, view=view)
    messages.success(request, f"View “{view.name}” deleted.")
    return _back(spec, f"sort={spec.default_sort}")


@require_POST
def list_columns(request: HttpRequest, list_key: str) -> HttpResponse:
    """Keep the person's choice of columns; the list shows them from now on."""
    spec = _spec(list_key)
    # Unknown keys (a column gone since the page was drawn) are dropped by the service, not
    # refused: the choice that is left is still the person's.
    keys = [key[:40] for key in request.POST.getlist("columns")[:100]]
    query = request.POST.get("query", "")
    services.list_columns_choose(actor=request.user, list_key=spec.key, columns=keys)
    messages.success(request, "Columns saved.")
    # The address's own columns would hide the new choice.
    return _back(spec, query, **{COLUMNS: None})


# --- Helpers for the apps' list pages ----------------------------------------------------


class _Echo:
    """A file-like object whose write hands the line back, for csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


def list_response(
    request: HttpRequest, spec: ListSpec, template: str, **context: object
) -> HttpResponse:
    """A list's page: the whole page, or (htmx) the page's table for a filter change, or
    the next rows for "load more" (a request with a cursor). The template includes
    lists/toolbar.html and lists/table.html and defines the partial `list-results` around
    the toolbar and the table."""
    state = selectors.list_state(spec, user=request.user, query=request.GET)
    table = selectors.list_page(state)
    context = {
        "table": table,
        "form": state.form,
        "saved_views": selectors.saved_views(request.user, spec.key),
        "has_default_view": selectors.default_view(request.user, spec.key) is not None,
        **context,
    }
    if request.htmx and state.cursor is not None:
        # The next rows, and the count above the table brought up to them (out of band).
        return render(request, "lists/rows.html", {**context, "oob": True, "first_shown": 1})
    if request.htmx:
        return render(request, f"{template}#list-results", context)
    return render(request, template, context)


def list_csv_response(request: HttpRequest, spec: ListSpec, *, filename: str) -> HttpResponse:
    """The view as the address shows it (filters, sort, columns), every row of it, streamed."""
    state = selectors.list_state(spec, user=request.user, query=request.GET)
    writer = csv.writer(_Echo())
    rows = (writer.writerow(csv_safe(row)) for row in selectors.list_csv_rows(state))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
