"""The API tokens page: the list, a form to make one, its secret shown once, revoking."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.apitokens import selectors, services
from salesflow.core.apitokens.access import get_apitoken_for_user
from salesflow.core.apitokens.forms import ApiTokenForm

# The new secret travels from the POST to the next page in the session, and is taken out
# as that page is drawn: a reload (or the back button) finds it gone.
FRESH_SECRET_KEY = "apitokens_fresh_secret"


@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.apitoken_create(
                actor=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            request.session[FRESH_SECRET_KEY] = {"pk": token.pk, "secret": secret}
            return redirect("apitokens:list")
    fresh = request.session.pop(FRESH_SECRET_KEY, None)
    status = 422 if form.errors else 200
    context = {
        "form": form,
        "tokens": selectors.apitokens_for_user(request.user),
        "fresh": fresh,
        "limit": services.MAX_LIVE_TOKENS,
    }
    return render(request, "core/apitokens/list.html", context, status=status)


@require_POST
def revoke(request: HttpRequest, pk: str) -> HttpResponse:
    token = get_apitoken_for_user(request.user, pk)
    try:
        services.apitoken_revoke(actor=request.user, token=token)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{token.name}” is revoked; it no longer opens the API.")
    return redirect("apitokens:list")


def _attach(form: ApiTokenForm, error: ValidationError) -> None:
    """The service's refusal shown on the form field it is about (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error("expires_on" if field == "expires_at" else field, errors)
    else:
        form.add_error(None, error)
