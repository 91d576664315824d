"""The bulk edit's pages: the form posted from the deals table's bar, and the job's progress
and summary. Thin: parse, call bulk_edit_start, show the job."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pipeline.bulkedit import access, selectors, services
from pipeline.bulkedit.forms import ACTION_FORMS, SelectionForm
from pipeline.bulkedit.models import BulkEdit, BulkEditRow
from pipeline.deals.table import deal_table_queryset
from salesflow.core.fields import whole_number

# How each action's changes are counted in the summary: "12 moved, 2 refused".
DONE_WORDS = {
    BulkEdit.Action.OWNER: "given a new owner",
    BulkEdit.Action.MOVE: "moved",
    BulkEdit.Action.CLOSE_DATE: "given the new date",
    BulkEdit.Action.CLOSE_LOST: "closed as lost",
}


def _table_url(query: str = "") -> str:
    return reverse("pipeline:deal_table") + (f"?{query}" if query else "")


def _matching_ids(request: HttpRequest, query: str) -> list[int]:
    """Every deal the table shows for its address, up to one more than a job may take (so
    the service can say the selection is too wide)."""
    deals = deal_table_queryset(user=request.user, query=QueryDict(query))
    most = settings.SALESFLOW_BULK_EDIT_MAX_ROWS + 1
    return list(deals.order_by("pk").values_list("pk", flat=True)[:most])


def _error_lines(action: str, error: ValidationError) -> list[str]:
    """Each problem in a sentence, named by the field it is about."""
    if not hasattr(error, "error_dict"):
        return error.messages
    fields = ACTION_FORMS[action].base_fields if action in ACTION_FORMS else {}
    lines = []
    for name, errors in error.message_dict.items():
        label = fields[name].label if name in fields else ""
        lines.extend(f"{label}: {message}" if label else message for message in errors)
    return lines


@require_POST
def deal_bulk(request: HttpRequest) -> HttpResponse:
    selection = SelectionForm(request.POST)
    query = ""
    if not selection.is_valid():
        lines = [message for errors in selection.errors.values() for message in errors]
    else:
        action = selection.cleaned_data["action"]
        query = selection.cleaned_data["query"]
        try:
            if selection.cleaned_data["all_matching"]:
                ids = _matching_ids(request, query)
            else:
                ids = request.POST.getlist("ids")
            job = services.bulk_edit_start(
                actor=request.user, action=action, params=request.POST, ids=ids
            )
        except ValidationError as error:
            lines = _error_lines(action, error)
        else:
            return redirect("pipeline:deal_bulk_detail", pk=job.pk)
    context = {"lines": lines, "back": _table_url(query)}
    return render(request, "pipeline/deal_bulk_refused.html", context, status=422)


@require_GET
def deal_bulk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.get_bulk_edit_for_user(request.user, pk)
    show = request.GET.get("show", "")
    if show not in BulkEditRow.Outcome.values:
        # The refusals first: they are what the person has to do something about.
        show = BulkEditRow.Outcome.REFUSED if job.refused_count else BulkEditRow.Outcome.CHANGED
    after = whole_number(request.GET.get("after"))
    page = selectors.bulk_edit_rows(job=job, outcome=show, after=after) if job.is_finished else None
    counts = {
        BulkEditRow.Outcome.CHANGED: job.changed_count,
        BulkEditRow.Outcome.UNCHANGED: job.unchanged_count,
        BulkEditRow.Outcome.REFUSED: job.refused_count,
    }
    context = {
        "job": job,
        "done_word": DONE_WORDS[job.action],
        "processed": f"{job.processed:,}",
        "total": f"{job.total:,}",
        "counts": {outcome: f"{count:,}" for outcome, count in counts.items()},
        "tabs": [
            (outcome, label, f"{counts[outcome]:,}")
            for outcome, label in BulkEditRow.Outcome.choices
            if counts[outcome]
        ],
        "show": show,
        "page": page,
    }
    if request.htmx:  # the poll: the status only, without the heading's description
        return render(request, "pipeline/deal_bulk.html#bulk-status", context)
    context["description"] = selectors.bulk_edit_description(job=job)
    return render(request, "pipeline/deal_bulk.html", context)
