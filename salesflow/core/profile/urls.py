from django.urls import path

from salesflow.core.profile import views

app_name = "profile"

urlpatterns = [
    path("", views.page, name="page"),
    path("details/", views.details, name="details"),
    path("time-zone/", views.time_zone, name="time_zone"),
    path("emails/", views.emails, name="emails"),
    path("password/", views.password, name="password"),
]
