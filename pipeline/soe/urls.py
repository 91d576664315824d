"""The Sequence of Events: steps, letter, calendar."""

from django.urls import path

from pipeline.soe import views

urlpatterns = [
    path("deals/<int:pk>/soe/", views.soe_detail, name="soe"),
    path("deals/<int:pk>/soe/steps/", views.soe_step_add, name="soe_step_add"),
    path("deals/<int:pk>/soe/order/", views.soe_reorder, name="soe_reorder"),
    path("deals/<int:pk>/soe/reception/", views.soe_reception, name="soe_reception"),
    path("deals/<int:pk>/soe/letter/", views.soe_letter, name="soe_letter"),
    path("deals/<int:pk>/soe.ics", views.soe_ics, name="soe_ics"),
    path("soe/templates/", views.soe_templates, name="soe_templates"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("soe/steps/<int:pk>/edit/", views.soe_step_edit, name="soe_step_edit"),
    path("soe/steps/<int:pk>/<str:action>/", views.soe_step_status, name="soe_step_status"),
]
