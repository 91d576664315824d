from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from salesflow.core import password_reset
from salesflow.core import views as core_views
from salesflow.core.forms import LoginForm

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", password_reset.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        password_reset.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        password_reset.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        password_reset.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/two-factor/", include("salesflow.core.twofactor.urls")),
    path("account/api-tokens/", include("salesflow.core.apitokens.urls")),
    path("notifications/", core_views.notifications, name="notifications"),
    path("webhooks/", include("salesflow.core.webhooks.urls")),
    path("audit/", include("salesflow.core.audit.urls")),
    path("lists/", include("salesflow.core.lists.urls")),
    path("", include("prospects.urls")),
    path("", include("pipeline.urls")),
    path("", include("pipeline.reviews.urls")),
    path("admin/", admin.site.urls),
    # The REST API: its schema and docs, then each app's endpoints under /api/v1/.
    path("api/", include("salesflow.core.api.urls")),
    path("api/v1/", include("prospects.api.urls")),
    path("api/v1/", include("pipeline.api.urls")),
    path("api/v1/", include("salesflow.core.api.notifications")),
    path("api/v1/", include("pipeline.reviews.api")),
]

# Problem details for an unknown address under /api/, the usual page elsewhere.
handler404 = "salesflow.core.api.views.not_found"
