"""/api/: the schema and its documentation pages, behind the sign-in like every page. The
endpoints themselves, under /api/v1/, come from each app's api package (salesflow/urls.py
mounts them: core knows no app)."""

from __future__ import annotations

from django.urls import path

from salesflow.core.api import views

app_name = "api"

urlpatterns = [
    path("schema/", views.schema, name="schema"),
    path("docs/", views.swagger, name="docs"),
    path("redoc/", views.redoc, name="redoc"),
]
