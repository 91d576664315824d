"""Saved views and column choices of every list (the lists themselves live in their apps)."""

from django.urls import path

from salesflow.core.lists import views

app_name = "lists"

urlpatterns = [
    path("<slug:list_key>/views/new/", views.saved_view_create, name="view_create"),
    path("<slug:list_key>/columns/", views.list_columns, name="columns"),
    path("views/<int:pk>/", views.saved_view_open, name="view_open"),
    path("views/<int:pk>/rename/", views.saved_view_rename, name="view_rename"),
    path("views/<int:pk>/share/", views.saved_view_share, name="view_share"),
    path("views/<int:pk>/default/", views.saved_view_default, name="view_default"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="view_delete"),
]
