"""The manager's dashboard, its CSV tables and the rep coaching view."""

from django.urls import path

from pipeline.dashboard import views

urlpatterns = [
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/refresh/", views.dashboard_refresh, name="dashboard_refresh"),
    path("dashboard/<str:table>.csv", views.dashboard_csv, name="dashboard_csv"),
    path("dashboard/reps/<int:pk>/", views.dashboard_rep, name="dashboard_rep"),
]
