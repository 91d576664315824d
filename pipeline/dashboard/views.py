"""The dashboard page, its refresh, its tables as CSV and a rep's coaching view; what the
user may see is decided by the dashboard's scope."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import (
    require_GET,
    require_POST,
)

from pipeline.dashboard import figures as dashboard
from pipeline.dashboard.forms import DashboardFilterForm
from salesflow.core.web import csv_safe

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
