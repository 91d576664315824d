"""Appointment pages: plan one (from the account or the deal page), its page with its moves,
edit its details, move it, cancel it. Views parse with forms and call one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from pipeline.appointments import access as appointment_access
from pipeline.appointments import selectors as appointment_selectors
from pipeline.appointments import services as appointment_services
from pipeline.appointments.forms import AppointmentDetailsForm, AppointmentForm, RescheduleForm
from pipeline.appointments.models import Appointment
from prospects import access as prospect_access
from prospects.models import Channel, Contact
from salesflow.core.fields import whole_number
from salesflow.core.web import action_view, form_errors_to


def _back(appointment: Appointment) -> HttpResponse:
    return redirect("pipeline:appointment_detail", pk=appointment.pk)


@require_http_methods(["GET", "POST"])
def appointment_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = prospect_access.get_account_for_user(request.user, pk, for_edit=True)
    deal = whole_number(request.GET.get("deal"))
    form = AppointmentForm(
        request.POST or None, account=account, initial={"opportunity": deal} if deal else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            appointment = appointment_services.appointment_create(
                actor=request.user, account=account, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, "Appointment planned.")
            return _back(appointment)
    context = {"form": form, "account": account, "creating": True}
    return render(
        request, "pipeline/appointment_form.html", context, status=422 if form.errors else 200
    )


# How each kind of appointment is logged as a conversation.
CHANNEL_OF_KIND = {
    Appointment.Kind.CALL: Channel.CALL,
    Appointment.Kind.MEETING: Channel.MEETING,
    Appointment.Kind.DEMO: Channel.MEETING,
}


def log_how_it_went_url(appointment: Appointment, contacts: list[Contact]) -> str:
    """prospects' logging form, filled in from the appointment through the query it reads
    (prospects.forms.conversation_initial): the channel, who took part, and when."""
    query = QueryDict(mutable=True)
    query["channel"] = CHANNEL_OF_KIND[Appointment.Kind(appointment.kind)]
    query.setlist("contacts", [str(contact.pk) for contact in contacts])
    query["occurred_at"] = timezone.localtime(appointment.starts_at).strftime("%Y-%m-%dT%H:%M")
    url = reverse("prospects:conversation_create", args=[appointment.account_id])
    return f"{url}?{query.urlencode()}"


@require_GET
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = appointment_access.get_appointment_for_user(request.user, pk)
    can_edit = appointment_access.can_edit_appointment(request.user, appointment)
    contacts = list(appointment.contacts.order_by("name", "pk"))
    has_started = appointment.starts_at <= timezone.now()
    context = {
        "appointment": appointment,
        "account": appointment.account,
        "can_edit": can_edit,
        "contacts": contacts,
        "changes": appointment_selectors.appointment_changes(appointment=appointment),
        "log_url": (
            log_how_it_went_url(appointment, contacts)
            if can_edit and has_started and appointment.status != Appointment.Status.CANCELLED
            else None
        ),
    }
    return render(request, "pipeline/appointment_detail.html", context)


@require_http_methods(["GET", "POST"])
def appointment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = appointment_access.get_appointment_for_user(request.user, pk, for_edit=True)
    initial = {
        "kind": appointment.kind,
        "duration_minutes": appointment.duration_minutes,
        "place": appointment.place,
        "agenda": appointment.agenda,
        "opportunity": appointment.opportunity_id,
        "contacts": [contact.pk for contact in appointment.contacts.all()],
    }
    form = AppointmentDetailsForm(
        request.POST or None, account=appointment.account, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        contacts = data.pop("contacts")
        try:
            appointment_services.appointment_update(
                actor=request.user, appointment=appointment, contacts=contacts, **data
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, "Appointment saved.")
            return _back(appointment)
    context = {"form": form, "account": appointment.account, "appointment": appointment}
    return render(
        request, "pipeline/appointment_form.html", context, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def appointment_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = appointment_access.get_appointment_for_user(request.user, pk, for_edit=True)
    form = RescheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_services.appointment_reschedule(
                actor=request.user, appointment=appointment, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_to(form, error)
        else:
            messages.success(request, "Appointment moved; the old time is kept in its history.")
            return _back(appointment)
    context = {"form": form, "account": appointment.account, "appointment": appointment}
    return render(
        request,
        "pipeline/appointment_reschedule.html",
        context,
        status=422 if form.errors else 200,
    )


on_appointment = action_view(
    load=lambda request, pk: appointment_access.get_appointment_for_user(
        request.user, pk, for_edit=True
    ),
    back=_back,
)


@on_appointment
def appointment_cancel(request: HttpRequest, appointment: Appointment) -> None:
    appointment_services.appointment_cancel(actor=request.user, appointment=appointment)
    messages.success(request, "Appointment cancelled.")
