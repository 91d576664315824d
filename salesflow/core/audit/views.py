"""The pages that read the audit history: a record's History tab (its view lives with the
record's own pages, which check access and then call `history_page`) and sales ops' audit
page with its CSV.

Everything is read through salesflow.core.audit.selectors; these views only pick the page,
the template fragment and the response."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from datetime import datetime, time, timedelta, tzinfo

from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from salesflow.core.audit.forms import AuditFilterForm
from salesflow.core.audit.selectors import Change, changes_in_period, object_history
from salesflow.core.audit.tracking import EVENT_MODELS
from salesflow.core.fields import whole_number
from salesflow.core.models import User
from salesflow.core.web import csv_safe

# Lines of a record's History tab per page ("Show older" asks for the next).
HISTORY_PER_PAGE = 25
# Lines of the audit page per page; the CSV has them all.
AUDIT_PER_PAGE = 100
# Past this many pages the audit page asks for a narrower filter (the CSV has them all):
# each page reads the ones before it again.
AUDIT_MAX_PAGE = 200
# The period shown when none is asked for: the last week.
AUDIT_DEFAULT_DAYS = 7

CSV_COLUMNS = [
    "When",
    "Who",
    "Action",
    "Record type",
    "Record",
    "Record id",
    "Field",
    "Before",
    "After",
    "Door",
    "Door detail",
]


def can_read_audit(user: User) -> bool:
    """Sales ops and admins: the people who see every team's data, which the audit page
    lists. Anyone else finds no page there (404), as for the other configure pages."""
    return user.is_authenticated and user.is_active and user.sees_everything


# --- A record's History tab -----------------------------------------------------------------


def history_cursor(obj: Model, before: str | None) -> str | None:
    """`before` if it is a cursor of this record's history, else None.

    object_history reads the state after a page's first line from the cursor's own event;
    a number that is not one of this record's events (typed by hand, or another record's)
    would show that line's values as emptied. One indexed query, on older pages only."""
    number = whole_number(before) if before else None
    if not number:
        return None
    events = EVENT_MODELS[type(obj)._meta.concrete_model].objects
    return str(number) if events.filter(pgh_obj_id=obj.pk, pgh_id=number).exists() else None


def history_page(
    request: HttpRequest,
    obj: Model,
    *,
    title: str,
    object_url: str,
    history_url: str,
) -> HttpResponse:
    """The History tab of `obj`, which the caller has already checked the user may see.

    A plain request draws the whole page; htmx asks either for the tab (tabs and the first
    page, swapped in place of the record's overview) or, with `before`, for the next lines
    only ("Show older")."""
    asked = request.GET.get("before")
    # An unknown cursor shows the newest changes: a stale or mistyped link still helps.
    before = history_cursor(obj, asked)
    changes, next_cursor = object_history(obj, before=before, limit=HISTORY_PER_PAGE)
    context = {
        "object": obj,
        "title": title,
        "object_url": object_url,
        "history_url": history_url,
        "changes": changes,
        "next_cursor": next_cursor,
        "older_page": before is not None,
    }
    template = "core/audit/history.html"
    if request.htmx:
        # "Show older" gets lines to put in its place, whatever its cursor turned out to be.
        template += "#history-lines" if asked else "#history-tab"
    return render(request, template, context)


# --- Sales ops' audit page --------------------------------------------------------------------


def _period(form: AuditFilterForm) -> tuple[datetime, datetime]:
    """The form's dates as moments in the user's zone: `since` from its first minute,
    `until` up to the end of its day."""
    data = form.cleaned_data
    zone = timezone.get_current_timezone()
    until_day = data.get("until") or timezone.localdate()
    since_day = data.get("since") or until_day - timedelta(days=AUDIT_DEFAULT_DAYS)
    since = datetime.combine(since_day, time.min, tzinfo=zone)
    until = datetime.combine(until_day + timedelta(days=1), time.min, tzinfo=zone)
    return since, until


def _filtered_changes(form: AuditFilterForm) -> Iterator[Change]:
    since, until = _period(form)
    data = form.cleaned_data
    user = data.get("user")
    return changes_in_period(
        since=since,
        until=until,
        user_id=user.pk if user else None,
        model=data.get("model") or None,
        door=data.get("door") or None,
    )


def _check_reader(request: HttpRequest) -> None:
    if not can_read_audit(request.user):
        raise Http404("No such page.")


@never_cache
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    _check_reader(request)
    form = AuditFilterForm(request.GET)
    changes: list[Change] = []
    number, has_more = 1, False
    if form.is_valid():
        number = min(form.cleaned_data.get("page") or 1, AUDIT_MAX_PAGE)
        start = (number - 1) * AUDIT_PER_PAGE
        # One more than a page tells whether there is a next one, without counting them all.
        window = list(itertools.islice(_filtered_changes(form), start, start + AUDIT_PER_PAGE + 1))
        changes, has_more = window[:AUDIT_PER_PAGE], len(window) > AUDIT_PER_PAGE
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "changes": changes,
        "number": number,
        "has_newer": number > 1,
        "has_older": has_more and number < AUDIT_MAX_PAGE,
        "query": query.urlencode(),
        "at_last_page": has_more and number >= AUDIT_MAX_PAGE,
    }
    return render(request, "core/audit/audit_log.html", context)


def _in_zone(lines: Iterator[str], zone: tzinfo) -> Iterator[str]:
    """The lines, each worked out in the viewer's time zone: a streamed body is read after
    the view has returned and UserTimeZoneMiddleware has put the zone back, so the zone is
    set again around each step (never between them: the thread may serve others)."""
    while True:
        with timezone.override(zone):
            try:
                line = next(lines)
            except StopIteration:
                return
        yield line


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(changes: Iterator[Change]) -> Iterator[list[object]]:
    """One row per field changed (a creation or deletion without fields: one row)."""
    for change in changes:
        when = timezone.localtime(change.at).strftime("%Y-%m-%d %H:%M:%S")
        common = [when, change.actor_name, change.action, change.model_label]
        ids = [change.object_label, change.object_id]
        door = [change.door_label, change.door_detail]
        if not change.fields:
            yield [*common, *ids, "", "", "", *door]
        for field in change.fields:
            yield [*common, *ids, field.label, field.old, field.new, *door]


@never_cache
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    """The audit page's changes, every one of them, as CSV streamed as it is read (a long
    period never sits in memory: the selector reads it in chunks)."""
    _check_reader(request)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        # The page shows what is wrong with the filter; the file would be a guess.
        return render(
            request,
            "core/audit/audit_log.html",
            {"form": form, "changes": [], "number": 1, "query": ""},
            status=400,
        )
    writer = csv.writer(_Echo())
    lines = itertools.chain(
        [writer.writerow(CSV_COLUMNS)],
        (writer.writerow(csv_safe(row)) for row in csv_rows(_filtered_changes(form))),
    )
    response = StreamingHttpResponse(
        _in_zone(lines, timezone.get_current_timezone()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
