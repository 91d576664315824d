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

from pipeline.dashboard import snapshot
from pipeline.dashboard.coaching import rep_coaching
from pipeline.dashboard.columns import CSV_COLUMNS
from pipeline.dashboard.forms import DashboardFilterForm
from pipeline.dashboard.scope import DashboardFilters, Scope
from salesflow.core.web import csv_safe


def _dashboard_scope(request: HttpRequest) -> tuple[DashboardFilterForm, Scope]:
    form = DashboardFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else DashboardFilters()
    return form, Scope(user=request.user, filters=filters)


@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """Every figure as a table (readable without JavaScript), each with its CSV; the funnel
    and the velocity trend also as charts drawn from the same rows. The figures are the
    ones kept for this view if they are recent (the page says when they were worked out)."""
    form, scope = _dashboard_scope(request)
    kept = snapshot.get(scope)
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
    if snapshot.get(scope, refresh=True).taken_at < asked_at:
        messages.info(request, "These figures were worked out less than a minute ago.")
    # Back to the view, with the filters that were valid (the others were ignored).
    query = urlencode({name: value for name, value in asdict(scope.filters).items() if value})
    return redirect(reverse("pipeline:dashboard") + (f"?{query}" if query else ""))


@require_GET
def dashboard_csv(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the page as CSV: the same rows the page shows."""
    if table not in CSV_COLUMNS:
        raise Http404("No such table.")
    columns = CSV_COLUMNS[table]
    _, scope = _dashboard_scope(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="salesflow-{table}.csv"'
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in snapshot.get(scope).figures[table]:
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
        "coaching": rep_coaching(scope, rep),
    }
    return render(request, "pipeline/dashboard_rep.html", context)
