"""/api/v1/ endpoints of prospects. The API answers for itself when nobody is signed in
(401 problem details, not the sign-in page's redirect), hence login_not_required (DRF's
as_view() says so too; said here so it does not hang on that): each view still requires
an authenticated user (REST_FRAMEWORK's permission classes)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from prospects.api import reference, views

app_name = "prospects_api"

urlpatterns = [
    path("accounts/", login_not_required(views.AccountList.as_view()), name="accounts"),
    path(
        "accounts/<int:pk>/",
        login_not_required(views.AccountDetail.as_view()),
        name="account",
    ),
    path("contacts/", login_not_required(views.ContactList.as_view()), name="contacts"),
    path(
        "contacts/<int:pk>/",
        login_not_required(views.ContactDetail.as_view()),
        name="contact",
    ),
    path(
        "accounts/<int:pk>/history/",
        login_not_required(views.AccountHistory.as_view()),
        name="account_history",
    ),
    path(
        "contacts/<int:pk>/history/",
        login_not_required(views.ContactHistory.as_view()),
        name="contact_history",
    ),
    path(
        "accounts/<int:pk>/why/",
        login_not_required(views.AccountWhy.as_view()),
        name="account_why",
    ),
    path(
        "conversations/",
        login_not_required(views.ConversationList.as_view()),
        name="conversations",
    ),
    path(
        "conversations/<int:pk>/",
        login_not_required(views.ConversationDetail.as_view()),
        name="conversation",
    ),
    # --- Reference lists (segments, lead sources) ---
    path("segments/", login_not_required(reference.SegmentList.as_view()), name="segments"),
    path(
        "segments/<int:pk>/",
        login_not_required(reference.SegmentDetail.as_view()),
        name="segment",
    ),
    path(
        "lead-sources/",
        login_not_required(reference.LeadSourceList.as_view()),
        name="lead_sources",
    ),
    path(
        "lead-sources/<int:pk>/",
        login_not_required(reference.LeadSourceDetail.as_view()),
        name="lead_source",
    ),
]
