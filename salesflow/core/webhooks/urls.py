from django.urls import path

from salesflow.core.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_create, name="create"),
    path("<str:pk>/", views.endpoint_detail, name="detail"),
    path("<str:pk>/edit/", views.endpoint_edit, name="edit"),
    path("<str:pk>/secret/", views.endpoint_rotate_secret, name="rotate"),
    path("<str:pk>/pause/", views.endpoint_pause, name="pause"),
    path("<str:pk>/resume/", views.endpoint_resume, name="resume"),
    path("<str:pk>/test/", views.endpoint_send_test, name="test"),
    path("<str:pk>/delete/", views.endpoint_delete, name="delete"),
    path("<str:pk>/deliveries/<str:message>/redeliver/", views.redeliver, name="redeliver"),
]
