"""/api/v1/ endpoints of the pipeline's parts (salesflow/urls.py mounts this). The API
answers for itself when nobody is signed in (401 problem details, not the sign-in page's
redirect), hence login_not_required; each view still requires an authenticated user."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, path

from pipeline.api import dashboard, deals, followups, reference, soe

app_name = "pipeline_api"


def _api(view: type) -> object:
    return login_not_required(view.as_view())


urlpatterns: list[URLPattern] = [
    # Deals, their moves and stage history; the close reasons a move may give (deals.py).
    path("deals/", _api(deals.DealList), name="deals"),
    path("deals/<int:pk>/", _api(deals.DealDetail), name="deal"),
    path("deals/<int:pk>/history/", _api(deals.DealHistory), name="deal_history"),
    path("deals/<int:pk>/move/", _api(deals.DealMove), name="deal_move"),
    path("deals/<int:pk>/stage-history/", _api(deals.DealStageHistory), name="deal_stage_history"),
    path("close-reasons/", _api(deals.CloseReasonList), name="close_reasons"),
    # A deal's Sequence of Events and its steps (pipeline/api/soe.py).
    path("deals/<int:pk>/soe/", _api(soe.SoeDetail), name="soe"),
    path("deals/<int:pk>/soe/templates/", _api(soe.SoeTemplates), name="soe_templates"),
    path("deals/<int:pk>/soe/steps/", _api(soe.SoeStepAdd), name="soe_step_add"),
    path("deals/<int:pk>/soe/reorder/", _api(soe.SoeReorder), name="soe_reorder"),
    path("deals/<int:pk>/soe/reception/", _api(soe.SoeReception), name="soe_reception"),
    path("deals/<int:pk>/soe/history/", _api(soe.SoeHistory), name="soe_history"),
    path("soe-steps/<int:pk>/", _api(soe.SoeStepDetail), name="soe_step"),
    # One address per status move of a step (SoeStep.TRANSITIONS), as on the pages.
    path("soe-steps/<int:pk>/history/", _api(soe.SoeStepHistory), name="soe_step_history"),
    path("soe-steps/<int:pk>/done/", _api(soe.SoeStepDone), name="soe_step_done"),
    path("soe-steps/<int:pk>/skip/", _api(soe.SoeStepSkip), name="soe_step_skip"),
    path("soe-steps/<int:pk>/reopen/", _api(soe.SoeStepReopen), name="soe_step_reopen"),
    # Follow-ups (pipeline/api/followups.py): one address per move, as on the pages.
    path("follow-ups/", _api(followups.FollowUpList), name="followups"),
    path("follow-ups/<int:pk>/", _api(followups.FollowUpDetail), name="followup"),
    path(
        "follow-ups/<int:pk>/surface-now/",
        _api(followups.FollowUpSurfaceNow),
        name="followup_surface_now",
    ),
    path(
        "follow-ups/<int:pk>/history/",
        _api(followups.FollowUpHistory),
        name="followup_history",
    ),
    path("follow-ups/<int:pk>/done/", _api(followups.FollowUpDone), name="followup_done"),
    path("follow-ups/<int:pk>/dismiss/", _api(followups.FollowUpDismiss), name="followup_dismiss"),
    path("follow-ups/<int:pk>/revise/", _api(followups.FollowUpRevise), name="followup_revise"),
    path("follow-ups/<int:pk>/approve/", _api(followups.FollowUpApprove), name="followup_approve"),
    path(
        "follow-ups/<int:pk>/send-back/",
        _api(followups.FollowUpSendBack),
        name="followup_send_back",
    ),
    # Pipelines and their stages; the dashboard's figures (reference.py, dashboard.py).
    path("pipelines/", _api(reference.PipelineList), name="pipelines"),
    path("pipelines/<int:pk>/", _api(reference.PipelineDetail), name="pipeline"),
    path("dashboard/", _api(dashboard.Dashboard), name="dashboard"),
]
