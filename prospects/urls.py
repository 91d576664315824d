from django.urls import path

from prospects import views
from prospects.importing import views as importing_views
from prospects.merge import views as merge_views
from prospects.privacy import views as privacy_views
from prospects.search import views as search_views

app_name = "prospects"

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/export.csv", views.account_export, name="account_export"),
    path("contacts/export.csv", views.contact_list_export, name="contact_list_export"),
    path("accounts/view.csv", views.account_list_csv, name="account_list_csv"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/view.csv", views.contact_list_csv, name="contact_list_csv"),
    path("accounts/import/", importing_views.account_import, name="account_import"),
    path(
        "accounts/import/<int:pk>/columns/",
        importing_views.account_import_mapping,
        name="account_import_mapping",
    ),
    path(
        "accounts/import/<int:pk>/",
        importing_views.account_import_detail,
        name="account_import_detail",
    ),
    path("search/", search_views.search, name="search"),
    path("log/", search_views.quick_log, name="quick_log"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/history/", views.account_history, name="account_history"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/merge/", merge_views.account_merge, name="account_merge"),
    path("accounts/<int:pk>/timeline/", views.account_timeline, name="account_timeline"),
    path(
        "accounts/<int:pk>/conversations/new/",
        views.conversation_create,
        name="conversation_create",
    ),
    path(
        "accounts/<int:pk>/conversations/questions/",
        views.conversation_questions,
        name="conversation_questions",
    ),
    path("accounts/<int:pk>/why/", views.why_edit, name="why_edit"),
    path("accounts/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/history/", views.contact_history, name="contact_history"),
    path("contacts/<int:pk>/export.json", privacy_views.contact_export, name="contact_export"),
    path("contacts/<int:pk>/erase/", privacy_views.contact_erase, name="contact_erase"),
]
