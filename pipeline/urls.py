"""The pipeline app's pages, each part's under the one `pipeline:` namespace."""

from django.urls import include, path

app_name = "pipeline"

urlpatterns = [
    path("", include("pipeline.deals.urls")),
    path("", include("pipeline.bulkedit.urls")),
    path("", include("pipeline.soe.urls")),
    path("", include("pipeline.followups.urls")),
    path("", include("pipeline.appointments.urls")),
    path("", include("pipeline.dashboard.urls")),
]
