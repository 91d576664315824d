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
    # One URL, and one view, per status move (SoeStep.TRANSITIONS).
    path("soe/steps/<int:pk>/done/", views.soe_step_done, name="soe_step_done"),
    path("soe/steps/<int:pk>/skip/", views.soe_step_skip, name="soe_step_skip"),
    path("soe/steps/<int:pk>/reopen/", views.soe_step_reopen, name="soe_step_reopen"),
]
