"""The board, a deal's page and its moves."""

from django.urls import path

from pipeline.deals import views

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/<int:pk>/", views.board, name="board_pipeline"),
    path("board/stages/<int:pk>/", views.board_column, name="board_column"),
    path("deals/", views.deal_table, name="deal_table"),
    path("deals/view.csv", views.deal_table_csv, name="deal_table_csv"),
    path("deals/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("deals/<int:pk>/history/", views.opportunity_history, name="opportunity_history"),
    path("deals/<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("deals/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("deals/<int:pk>/specialist/", views.specialist_request, name="specialist_request"),
    path(
        "deals/<int:pk>/specialist/vouch/",
        views.specialist_override,
        name="specialist_override",
    ),
    path("accounts/<int:pk>/deals/new/", views.opportunity_create, name="opportunity_create"),
]
