from django.urls import path

from pipeline.reviews import views

app_name = "reviews"
urlpatterns = [
    path("reviews/", views.review_list, name="list"),
    path("reviews/new/", views.review_create, name="create"),
    path("reviews/<int:pk>/", views.review_detail, name="detail"),
    path("reviews/<int:pk>/summary/", views.review_summary, name="summary"),
    # One URL, and one view, per change to a review, named by the word its address ends in;
    # the board's forms post to them.
    path("reviews/<int:pk>/advance/", views.review_advance, name="advance"),
    path("reviews/<int:pk>/reopen/", views.review_reopen, name="reopen"),
    path("reviews/<int:pk>/seed/", views.review_seed_facts, name="seed"),
    path("reviews/<int:pk>/reveal/", views.review_reveal_next, name="reveal"),
    path("reviews/<int:pk>/write/", views.item_write, name="write"),
    path("reviews/<int:pk>/edit/", views.item_edit, name="edit"),
    path("reviews/<int:pk>/delete/", views.item_delete, name="delete"),
    path("reviews/<int:pk>/group/", views.group_items, name="group"),
    path("reviews/<int:pk>/drop/", views.item_drop, name="drop"),
    path("reviews/<int:pk>/rename/", views.group_rename, name="rename"),
    path("reviews/<int:pk>/ungroup/", views.item_ungroup, name="ungroup"),
    path("reviews/<int:pk>/vote/", views.vote_cast, name="vote"),
    path("reviews/<int:pk>/unvote/", views.vote_withdraw, name="unvote"),
    path("reviews/<int:pk>/action/", views.action_create, name="action"),
    path("reviews/<int:pk>/done/", views.action_done, name="done"),
]
