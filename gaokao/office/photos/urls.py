from django.urls import path

from gaokao.office.photos import views

app_name = "photos"
urlpatterns = [
    path("<uuid:pk>/", views.candidate_photos, name="candidate"),
    path("photo/<uuid:pk>/image.jpg", views.image, name="image"),
    path("photo/<uuid:pk>/original", views.original, name="original"),
]
