"""Upload an accounts CSV, and follow its import to the report."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from prospects import access
from prospects.importing import csvfile, selectors, services
from prospects.importing.forms import AccountImportForm


@require_http_methods(["GET", "POST"])
def account_import(request: HttpRequest) -> HttpResponse:
    form = AccountImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file_name, content = form.cleaned_data["file"]
        try:
            job = services.account_import_start(
                actor=request.user, file_name=file_name, content=content
            )
        except csvfile.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("prospects:account_import_detail", pk=job.pk)
    status = 422 if form.errors else 200
    return render(request, "prospects/account_import.html", {"form": form}, status=status)


@require_GET
def account_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.get_import_for_user(request.user, pk)
    context = {"job": job, "progress": selectors.import_progress(job=job)}
    if request.htmx:
        return render(request, "prospects/account_import_detail.html#import-status", context)
    return render(request, "prospects/account_import_detail.html", context)
