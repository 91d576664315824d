"""Follow-ups: proposing, approving, surfacing, closing."""

from django.urls import path

from pipeline.followups import views

urlpatterns = [
    path("accounts/<int:pk>/follow-ups/new/", views.followup_create, name="followup_create"),
    path("follow-ups/<int:pk>/", views.followup_detail, name="followup_detail"),
    # The manager's approval (approve or send back); the address says review, as it always has.
    path("follow-ups/<int:pk>/review/", views.followup_approve, name="followup_approve"),
    path("follow-ups/<int:pk>/<str:action>/", views.followup_action, name="followup_action"),
]
