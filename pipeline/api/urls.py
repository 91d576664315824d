"""/api/v1/ endpoints of the pipeline's parts (salesflow/urls.py mounts this)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
