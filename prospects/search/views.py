"""The search page, and "Log a conversation" from anywhere (find the account first)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from prospects.search import selectors


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:200]
    results = selectors.search(user=request.user, text=text)
    return render(request, "prospects/search.html", {"results": results, "q": text})


@require_GET
def quick_log(request: HttpRequest) -> HttpResponse:
    """Log a conversation from anywhere: find the account, then the usual form."""
    text = request.GET.get("q", "")[:200]
    accounts = selectors.quick_log_accounts(user=request.user, text=text)
    context = {"accounts": accounts, "q": text}
    if request.htmx:
        return render(request, "prospects/quick_log.html#quick-log-results", context)
    return render(request, "prospects/quick_log.html", context)
