from django.urls import path

from pipeline.reviews import views

app_name = "reviews"
urlpatterns = [
    path("reviews/", views.review_list, name="list"),
    path("reviews/new/", views.review_create, name="create"),
    path("reviews/<int:pk>/", views.review_detail, name="detail"),
    path("reviews/<int:pk>/summary/", views.review_summary, name="summary"),
    path("reviews/<int:pk>/<str:action>/", views.review_act, name="act"),
]
