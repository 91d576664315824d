"""Sales ops' webhook pages: the endpoints, one endpoint with its deliveries, and the
actions on them. Every change goes through salesflow.core.webhooks.services; anyone who does
not manage webhooks finds none of these pages (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.webhooks import selectors, services
from salesflow.core.webhooks.access import (
    can_manage_webhooks,
    get_webhook_endpoint_for_user,
    get_webhook_message_for_user,
)
from salesflow.core.webhooks.events import EVENTS, PING
from salesflow.core.webhooks.forms import WebhookEndpointForm
from salesflow.core.webhooks.models import WebhookAttempt

# A new or rotated secret travels from the POST to the next page in the session and is
# taken out as that page is drawn: a reload finds it gone, as for API tokens.
FRESH_SECRET_KEY = "webhooks_fresh_secret"


def _check_manager(request: HttpRequest) -> None:
    if not can_manage_webhooks(request.user):
        raise Http404("No such page.")


def _attach(form: WebhookEndpointForm, error: ValidationError) -> None:
    """The service's refusal shown on the field it is about, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@never_cache
def endpoint_list(request: HttpRequest) -> HttpResponse:
    _check_manager(request)
    context = {"endpoints": selectors.webhook_endpoints(user=request.user)}
    return render(request, "core/webhooks/list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def endpoint_create(request: HttpRequest) -> HttpResponse:
    _check_manager(request)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_endpoint_create(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            request.session[FRESH_SECRET_KEY] = {"pk": endpoint.pk, "secret": secret}
            return redirect("webhooks:detail", endpoint.pk)
    status = 422 if form.errors else 200
    context = {"form": form, "endpoint": None}
    return render(request, "core/webhooks/form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = get_webhook_endpoint_for_user(request.user, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_endpoint_update(
                actor=request.user, endpoint=endpoint, **form.cleaned_data
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, "The endpoint is saved.")
            return redirect("webhooks:detail", endpoint.pk)
    status = 422 if form.errors else 200
    context = {"form": form, "endpoint": endpoint}
    return render(request, "core/webhooks/form.html", context, status=status)


@never_cache
def endpoint_detail(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = get_webhook_endpoint_for_user(request.user, pk)
    fresh = request.session.get(FRESH_SECRET_KEY)
    if fresh and fresh.get("pk") == endpoint.pk:
        request.session.pop(FRESH_SECRET_KEY)
    else:
        fresh = None
    labels = {**dict(EVENTS), PING: "Test event"}
    deliveries = list(
        selectors.webhook_deliveries(endpoint=endpoint).prefetch_related(
            Prefetch(
                "webhook_attempts",
                queryset=WebhookAttempt.objects.order_by("at", "pk"),
                to_attr="attempt_log",
            )
        )
    )
    for delivery in deliveries:
        delivery.event_label = labels.get(delivery.event, delivery.event)
    context = {
        "endpoint": endpoint,
        "endpoint_events": [(name, labels.get(name, name)) for name in endpoint.events],
        "fresh": fresh,
        "deliveries": deliveries,
    }
    return render(request, "core/webhooks/detail.html", context)


@require_POST
def endpoint_rotate_secret(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = get_webhook_endpoint_for_user(request.user, pk)
    secret = services.webhook_endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
    request.session[FRESH_SECRET_KEY] = {"pk": endpoint.pk, "secret": secret}
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
def endpoint_pause(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = get_webhook_endpoint_for_user(request.user, pk)
    services.webhook_endpoint_pause(actor=request.user, endpoint=endpoint)
    messages.success(request, "Paused: events are kept and wait until you resume it.")
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
def endpoint_resume(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = get_webhook_endpoint_for_user(request.user, pk)
    try:
        services.webhook_endpoint_resume(actor=request.user, endpoint=endpoint)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, "Resumed: the events that waited go out now.")
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
def endpoint_send_test(request: HttpRequest, pk: str) -> HttpResponse:
    endpoint = get_webhook_endpoint_for_user(request.user, pk)
    try:
        services.webhook_send_test(actor=request.user, endpoint=endpoint)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, "A test event is on its way; its delivery shows below.")
    return redirect("webhooks:detail", endpoint.pk)


@require_http_methods(["GET", "POST"])
def endpoint_delete(request: HttpRequest, pk: str) -> HttpResponse:
    """Asks first (a page, no script), then deletes on the POST."""
    endpoint = get_webhook_endpoint_for_user(request.user, pk)
    if request.method == "GET":
        return render(request, "core/webhooks/delete.html", {"endpoint": endpoint})
    services.webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, f"{endpoint.url} is deleted; nothing more is sent to it.")
    return redirect("webhooks:list")


@require_POST
def redeliver(request: HttpRequest, pk: str, message: str) -> HttpResponse:
    endpoint = get_webhook_endpoint_for_user(request.user, pk)
    found = get_webhook_message_for_user(request.user, endpoint=endpoint, pk=message)
    try:
        services.webhook_redeliver(actor=request.user, message=found)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, "Sent again, under the same webhook-id.")
    return redirect("webhooks:detail", endpoint.pk)
