"""/api/v1/ endpoints of the pipeline's parts (salesflow/urls.py mounts this)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, path

from pipeline.api import deals

app_name = "pipeline_api"

urlpatterns: list[URLPattern] = [
    path("deals/", login_not_required(deals.DealList.as_view()), name="deals"),
    path("deals/<int:pk>/", login_not_required(deals.DealDetail.as_view()), name="deal"),
    path("deals/<int:pk>/move/", login_not_required(deals.DealMove.as_view()), name="deal_move"),
    path(
        "deals/<int:pk>/stage-history/",
        login_not_required(deals.DealStageHistory.as_view()),
        name="deal_stage_history",
    ),
    path(
        "close-reasons/",
        login_not_required(deals.CloseReasonList.as_view()),
        name="close_reasons",
    ),
]
