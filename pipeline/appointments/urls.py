"""Appointments: planning, editing, moving and cancelling. One URL, and one view, per move."""

from django.urls import path

from pipeline.appointments import views

urlpatterns = [
    path(
        "accounts/<int:pk>/appointments/new/",
        views.appointment_create,
        name="appointment_create",
    ),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/edit/", views.appointment_edit, name="appointment_edit"),
    path(
        "appointments/<int:pk>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
]
