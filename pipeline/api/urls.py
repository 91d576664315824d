"""/api/v1/ endpoints of the pipeline's parts (salesflow/urls.py mounts this)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, path

from pipeline.api import dashboard, reference

urlpatterns: list[URLPattern] = []

# --- Reference: pipelines and their stages; the dashboard's figures ---
urlpatterns += [
    path("pipelines/", login_not_required(reference.PipelineList.as_view()), name="api_pipelines"),
    path(
        "pipelines/<int:pk>/",
        login_not_required(reference.PipelineDetail.as_view()),
        name="api_pipeline",
    ),
    path("dashboard/", login_not_required(dashboard.Dashboard.as_view()), name="api_dashboard"),
]
