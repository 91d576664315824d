"""Follow-ups: proposing, approving, surfacing, closing. One URL, and one view, per move."""

from django.urls import path

from pipeline.followups import views

urlpatterns = [
    path("accounts/<int:pk>/follow-ups/new/", views.followup_create, name="followup_create"),
    path("follow-ups/<int:pk>/", views.followup_detail, name="followup_detail"),
    # The manager's approval (approve or send back); the address says review, as it always has.
    path("follow-ups/<int:pk>/review/", views.followup_approve, name="followup_approve"),
    path("follow-ups/<int:pk>/done/", views.followup_done, name="followup_done"),
    path("follow-ups/<int:pk>/dismiss/", views.followup_dismiss, name="followup_dismiss"),
    path(
        "follow-ups/<int:pk>/surface-now/",
        views.followup_surface_now,
        name="followup_surface_now",
    ),
    path("follow-ups/<int:pk>/revise/", views.followup_revise, name="followup_revise"),
]
