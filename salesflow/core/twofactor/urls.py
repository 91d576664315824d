from django.urls import path

from salesflow.core.twofactor import views

app_name = "twofactor"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("recovery-codes/", views.codes, name="codes"),
    path("recovery-codes/download/", views.codes_download, name="codes_download"),
    path("recovery-codes/new/", views.codes_regenerate, name="codes_regenerate"),
    path("off/", views.disable, name="disable"),
]
