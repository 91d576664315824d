"""Merge a duplicate into an account: pick the duplicate, then the values to keep."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from prospects import access
from prospects.merge import selectors, services
from prospects.merge.forms import AccountMergeForm
from salesflow.core.web import form_errors_to


@require_http_methods(["GET", "POST"])
def account_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge a duplicate into this account: pick the duplicate, then the values to keep."""
    survivor = access.get_account_for_user(request.user, pk, for_edit=True)
    other = request.GET.get("other") or request.POST.get("other")
    if not other:
        text = request.GET.get("q", "")[:200]
        candidates = selectors.merge_candidates(user=request.user, account=survivor, text=text)
        return render(
            request,
            "prospects/account_merge.html",
            {"account": survivor, "candidates": candidates, "q": text},
        )
    duplicate = access.get_account_for_user(request.user, other, for_edit=True)
    pairs = selectors.merge_contact_pairs(survivor=survivor, duplicate=duplicate)
    form = AccountMergeForm(
        request.POST or None, survivor=survivor, duplicate=duplicate, pairs=pairs
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.account_merge(
                actor=request.user,
                survivor=survivor,
                duplicate=duplicate,
                values=form.values(),
                contacts=form.contact_values(),
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, f"Merged {duplicate.name} into this account.")
            return redirect("prospects:account_detail", pk=survivor.pk)
    context = {
        "account": survivor,
        "duplicate": duplicate,
        "form": form,
        "moving": selectors.merge_moving_counts(account=duplicate),
    }
    return render(
        request, "prospects/account_merge.html", context, status=422 if form.errors else 200
    )
