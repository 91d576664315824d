"""The bulk edit of deals, beside the deals table."""

from django.urls import path

from pipeline.bulkedit import views

urlpatterns = [
    path("deals/bulk/", views.deal_bulk, name="deal_bulk"),
    path("deals/bulk/<int:pk>/", views.deal_bulk_detail, name="deal_bulk_detail"),
]
