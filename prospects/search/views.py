"""The search page, and "Log a conversation" from anywhere (find the account first)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from prospects.search import selectors


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Everything matching, grouped by kind; with ?kind=…&after=…, the next page of one kind
    (htmx asks for just its hits, to put in place of the "more…" link)."""
    text = request.GET.get("q", "")[:200]
    kind = request.GET.get("kind", "")[:40]
    after = request.GET.get("after", "")[:100]
    results = selectors.search(user=request.user, text=text, kind=kind, after=after)
    context = {"results": results, "q": text}
    if request.htmx and results.kind is not None and results.groups:
        context["group"] = results.groups[0]
        return render(request, "prospects/search.html#search-hits", context)
    return render(request, "prospects/search.html", context)


@require_GET
def quick_log(request: HttpRequest) -> HttpResponse:
    """Log a conversation from anywhere: find the account, then the usual form."""
    text = request.GET.get("q", "")[:200]
    accounts = selectors.quick_log_accounts(user=request.user, text=text)
    context = {"accounts": accounts, "q": text}
    if request.htmx:
        return render(request, "prospects/quick_log.html#quick-log-results", context)
    return render(request, "prospects/quick_log.html", context)
