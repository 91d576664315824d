"""Sales ops' audit page and its CSV (the records' History tabs live with their pages)."""

from django.urls import path

from salesflow.core.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log, name="log"),
    path("export.csv", views.audit_export, name="export"),
]
