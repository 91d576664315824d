from django.urls import path

from pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/<int:pk>/", views.board, name="board_pipeline"),
    path("board/stages/<int:pk>/", views.board_column, name="board_column"),
    path("deals/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("deals/<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("deals/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("deals/<int:pk>/specialist/", views.specialist_request, name="specialist_request"),
    path("deals/<int:pk>/specialist/vouch/", views.specialist_override, name="specialist_override"),
    path("accounts/<int:pk>/deals/new/", views.opportunity_create, name="opportunity_create"),
    path("deals/<int:pk>/soe/", views.soe_detail, name="soe"),
    path("deals/<int:pk>/soe/steps/", views.soe_step_add, name="soe_step_add"),
    path("deals/<int:pk>/soe/order/", views.soe_reorder, name="soe_reorder"),
    path("deals/<int:pk>/soe/reception/", views.soe_reception, name="soe_reception"),
    path("deals/<int:pk>/soe/letter/", views.soe_letter, name="soe_letter"),
    path("deals/<int:pk>/soe.ics", views.soe_ics, name="soe_ics"),
    path("soe/templates/", views.soe_templates, name="soe_templates"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/refresh/", views.dashboard_refresh, name="dashboard_refresh"),
    path("dashboard/<str:table>.csv", views.dashboard_csv, name="dashboard_csv"),
    path("dashboard/reps/<int:pk>/", views.dashboard_rep, name="dashboard_rep"),
    path("accounts/<int:pk>/follow-ups/new/", views.followup_create, name="followup_create"),
    path("follow-ups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path("follow-ups/<int:pk>/review/", views.followup_review, name="followup_review"),
    path("follow-ups/<int:pk>/<str:action>/", views.followup_action, name="followup_action"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("soe/steps/<int:pk>/edit/", views.soe_step_edit, name="soe_step_edit"),
    path("soe/steps/<int:pk>/<str:action>/", views.soe_step_status, name="soe_step_status"),
]
