from django.urls import path

from salesflow.core.apitokens import views

app_name = "apitokens"

urlpatterns = [
    path("", views.tokens, name="list"),
    path("<str:pk>/revoke/", views.revoke, name="revoke"),
]
