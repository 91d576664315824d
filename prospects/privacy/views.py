"""Data-protection requests on a contact's page: the JSON export and the erasure.

Both go through access.get_contact_for_request (404 outside reach, 403 for whoever is not
sales ops or an admin) and one service each.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from prospects.privacy import access, services
from prospects.privacy.forms import EraseForm
from salesflow.core.web import form_errors_to


@require_GET
def contact_export(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access.get_contact_for_request(request.user, pk)
    data = services.contact_export(actor=request.user, contact=contact)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}-export.json"'
    # Personal data: no browser or proxy keeps a copy.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access.get_contact_for_request(request.user, pk)
    if contact.erased_at is not None:
        messages.info(request, "This contact's data is already erased.")
        return redirect("prospects:contact_detail", pk=contact.pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure = services.contact_erase(
                actor=request.user,
                contact=contact,
                confirmation=form.cleaned_data["confirmation"],
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(
                request,
                f"Erased. The contact's name, email and phone are gone from {erasure.total} "
                "records; conversations and deals stay, with an erased contact.",
            )
            return redirect("prospects:contact_detail", pk=contact.pk)
    return render(
        request,
        "prospects/privacy/contact_erase.html",
        {"contact": contact, "account": contact.account, "form": form},
        status=422 if form.errors else 200,
    )
