"""Upload a CSV, say what its columns hold, and follow its import to the report."""

from __future__ import annotations

from itertools import islice

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from prospects import access
from prospects.importing import csvfile, kinds, selectors, services
from prospects.importing.forms import AccountImportForm, ImportMappingForm
from prospects.models import AccountImport
from salesflow.core.fields import whole_number
from salesflow.core.web import form_errors_to


@require_http_methods(["GET", "POST"])
def account_import(request: HttpRequest) -> HttpResponse:
    form = AccountImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file_name, content = form.cleaned_data["file"]
        try:
            job = services.account_import_upload(
                actor=request.user,
                file_name=file_name,
                content=content,
                kind=form.cleaned_data["kind"],
            )
        except csvfile.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("prospects:account_import_mapping", pk=job.pk)
    status = 422 if form.errors else 200
    context = {"form": form, "exports": kinds.exports(), "kinds": kinds.KINDS.values()}
    return render(request, "prospects/account_import.html", context, status=status)


@require_http_methods(["GET", "POST"])
def account_import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.get_import_to_map(request.user, pk)
    if job.status != AccountImport.Status.MAPPING:
        return redirect("prospects:account_import_detail", pk=job.pk)
    kind = kinds.check_kind(job.kind)
    headers, rows = csvfile.read_rows(job.content)
    first = next(islice(rows, 1), (0, {}))[1]
    saved = selectors.saved_mappings(user=request.user, kind=job.kind)
    mapping, mode = job.mapping, job.mode
    # "Use a saved mapping" (a GET, so the page works without script): its choices for the
    # columns this file shares with it; the user's own mappings only.
    chosen = saved.filter(pk=whole_number(request.GET.get("use"))).first()
    if chosen is not None:
        mapping = {header: chosen.mapping.get(header, "") for header in headers}
        mode = chosen.mode
    form = ImportMappingForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        headers=headers,
        samples=first,
        initial_mapping=mapping,
        initial={"mode": mode},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.account_import_confirm(
                actor=request.user,
                job=job,
                mapping=form.cleaned_data["mapping"],
                mode=form.cleaned_data["mode"],
                save_as=form.cleaned_data["save_as"],
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            return redirect("prospects:account_import_detail", pk=job.pk)
    context = {
        "job": job,
        "kind": kind,
        "form": form,
        "saved": saved,
        "chosen": chosen,
    }
    return render(
        request,
        "prospects/account_import_mapping.html",
        context,
        status=422 if form.errors else 200,
    )


@require_GET
def account_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.get_import_for_user(request.user, pk)
    context = {
        "job": job,
        "progress": selectors.import_progress(job=job),
        "summary": selectors.import_summary(job=job),
        "added": selectors.added_sentence(job=job),
    }
    if request.htmx:
        return render(request, "prospects/account_import_detail.html#import-status", context)
    return render(request, "prospects/account_import_detail.html", context)
